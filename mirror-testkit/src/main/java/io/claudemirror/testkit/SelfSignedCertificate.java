package io.claudemirror.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A throw-away key pair and self-signed certificate for {@code 127.0.0.1} and {@code localhost}, made once per JVM
 * with the JDK's own {@code keytool} into a temporary PKCS12 file (no private key is ever committed). Valid two days.
 */
final class SelfSignedCertificate {
    static final String PASSWORD = "fake-anthropic";
    private static final String ALIAS = "fake-anthropic";
    private static SelfSignedCertificate instance;

    final Path keyStorePath;
    final KeyStore trustStore;

    private SelfSignedCertificate(Path keyStorePath, KeyStore trustStore) {
        this.keyStorePath = keyStorePath;
        this.trustStore = trustStore;
    }

    static synchronized SelfSignedCertificate get() {
        if (instance == null) {
            try {
                instance = generate();
            } catch (IOException | GeneralSecurityException e) {
                throw new IllegalStateException("cannot generate the fake's self-signed certificate", e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while generating the fake's certificate", e);
            }
        }
        return instance;
    }

    private static SelfSignedCertificate generate() throws IOException, GeneralSecurityException, InterruptedException {
        Path dir = Files.createTempDirectory("fake-anthropic-tls");
        Path file = dir.resolve("fake.p12");
        file.toFile().deleteOnExit();
        dir.toFile().deleteOnExit();
        Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
        Process process = new ProcessBuilder(List.of(keytool.toString(), "-genkeypair", "-alias", ALIAS,
                "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=127.0.0.1",
                "-ext", "SAN=ip:127.0.0.1,dns:localhost", "-validity", "2", "-storetype", "PKCS12",
                "-keystore", file.toString(), "-storepass", PASSWORD, "-keypass", PASSWORD, "-noprompt"))
                .redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
            throw new IOException("keytool failed: " + output);
        }
        KeyStore keys = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(file)) {
            keys.load(in, PASSWORD.toCharArray());
        }
        Certificate certificate = keys.getCertificate(ALIAS);
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry(ALIAS, certificate);
        return new SelfSignedCertificate(file, trust);
    }
}
