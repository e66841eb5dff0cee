package io.claudemirror.frontdoor;

import static org.assertj.core.api.Assertions.assertThat;

import io.claudemirror.config.MirrorConfig;
import io.claudemirror.support.MirrorServer;
import io.claudemirror.support.MirrorServer.Container;
import io.claudemirror.support.RawClient;
import io.claudemirror.testkit.Fault;
import io.claudemirror.testkit.FakeAnthropic;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Issue 7, probe 5: a client that gives up before the first byte of the answer. Where the container can tell
 * (Jetty: the connection's close notification), the upstream call is cancelled at once; docs/deployment.md says
 * what each container can detect.
 */
class EarlyDisconnectTest {
    FakeAnthropic fake;
    MirrorServer mirror;

    @AfterEach
    void stop() throws Exception {
        if (mirror != null) {
            mirror.close();
        }
        if (fake != null) {
            fake.close();
        }
    }

    @ParameterizedTest
    @EnumSource(Container.class)
    void aClientLeavingBeforeTheFirstByteCancelsTheUpstreamCall(Container container, @TempDir Path audit)
            throws Exception {
        fake = FakeAnthropic.start();
        fake.enqueue(Fault.delay(Duration.ofSeconds(20)));
        mirror = MirrorServer.start(container, MirrorConfig.builder().upstream("primary", fake.baseUrl(), "sk-up")
                .tenant("t", "plain:k").set("audit.dir", audit.toString()).build());
        byte[] body = "{\"model\":\"claude-3-5-haiku-latest\",\"max_tokens\":5,\"messages\":[]}"
                .getBytes(StandardCharsets.UTF_8);
        RawClient client = RawClient.postMessages(mirror.port(), "k", body);
        assertThat(fake.journal().await(1, Duration.ofSeconds(5))).isNotNull();
        client.close();
        long t0 = System.nanoTime();
        boolean aborted = fake.awaitClientAbort(Duration.ofSeconds(8));
        assertThat(aborted).as("%s: upstream call cancelled within 8 s (took %d ms)", container,
                (System.nanoTime() - t0) / 1_000_000).isTrue();
        // The audit line says what happened: nobody was answered, the client left.
        Path file = audit.resolve("audit-" + java.time.LocalDate.now(java.time.ZoneOffset.UTC) + ".jsonl");
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (!(java.nio.file.Files.exists(file) && java.nio.file.Files.readString(file).contains("clientAborted"))
                && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        String line = java.nio.file.Files.readString(file).trim();
        assertThat(line).contains("\"status\":499").contains("\"clientAborted\":true");
    }

    /**
     * The watch must be gone before the answer's last byte leaves: a keep-alive client sends its next request
     * at once, and a watch still reading the connection would eat its first byte ("OST /v1/messages").
     */
    @ParameterizedTest
    @EnumSource(Container.class)
    void keepAliveRequestsBackToBackArriveWhole(Container container) throws Exception {
        fake = FakeAnthropic.start();
        mirror = MirrorServer.start(container, MirrorConfig.builder().upstream("primary", fake.baseUrl(), "sk-up")
                .tenant("t", "plain:k").set("audit.dir", "").build());
        byte[] body = "{\"model\":\"claude-3-5-haiku-latest\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"
                .getBytes(StandardCharsets.UTF_8);
        try (java.net.Socket s = new java.net.Socket("127.0.0.1", mirror.port())) {
            s.setSoTimeout(10_000);
            java.io.OutputStream out = s.getOutputStream();
            java.io.DataInputStream in = new java.io.DataInputStream(new java.io.BufferedInputStream(s.getInputStream()));
            for (int i = 0; i < 40; i++) {
                out.write(("POST /v1/messages HTTP/1.1\r\nHost: x\r\nx-api-key: k\r\nanthropic-version: 2023-06-01\r\n"
                        + "content-type: application/json\r\ncontent-length: " + body.length + "\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
                out.write(body);
                out.flush();
                int length = -1;
                String status = null;
                for (String line = readLine(in); !line.isEmpty(); line = readLine(in)) {
                    if (status == null) {
                        status = line;
                    } else if (line.regionMatches(true, 0, "content-length:", 0, 15)) {
                        length = Integer.parseInt(line.substring(15).trim());
                    }
                }
                assertThat(status).as("request %d", i).startsWith("HTTP/1.1 200");
                assertThat(length).isPositive();
                in.readFully(new byte[length]);
            }
        }
        assertThat(fake.journal().all()).hasSize(40).allSatisfy(r -> assertThat(r.method()).isEqualTo("POST"));
    }

    private static String readLine(java.io.DataInputStream in) throws java.io.IOException {
        StringBuilder sb = new StringBuilder();
        int c;
        while ((c = in.read()) != '\n') {
            if (c < 0) {
                throw new java.io.EOFException();
            }
            if (c != '\r') {
                sb.append((char) c);
            }
        }
        return sb.toString();
    }
}
