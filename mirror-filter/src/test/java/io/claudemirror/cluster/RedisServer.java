package io.claudemirror.cluster;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A real redis-server process for the cluster tests, on a free loopback port, without persistence. Under
 * {@code CI=true} a missing binary fails the test (never a silent skip: {@code .ci/run} installs Redis);
 * elsewhere it skips. {@link #stop()} and {@link #restart()} simulate an outage on the same port.
 */
final class RedisServer implements AutoCloseable {
    private final String binary;
    private final int port;
    private final String externalUri;
    private Process process;

    private RedisServer(String binary, int port) {
        this.binary = binary;
        this.port = port;
        this.externalUri = null;
    }

    private RedisServer(String externalUri) {
        this.binary = null;
        this.port = -1;
        this.externalUri = externalUri;
    }

    /**
     * The Redis that {@code MIRROR_TEST_REDIS} names (the one {@code .ci/run} starts), which must answer; else
     * a process of the test's own. Tests that stop Redis use {@link #start()} instead.
     */
    static RedisServer shared() throws Exception {
        String uri = System.getenv("MIRROR_TEST_REDIS");
        if (uri == null || uri.isBlank()) {
            return start();
        }
        URI u = URI.create(uri);
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(u.getHost(), u.getPort() > 0 ? u.getPort() : 6379), 2000);
            s.setSoTimeout(2000);
            s.getOutputStream().write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
            byte[] answer = new byte[7];
            int n = s.getInputStream().read(answer);
            if (n < 5 || !new String(answer, 0, n, StandardCharsets.US_ASCII).startsWith("+PONG")) {
                throw new AssertionError("MIRROR_TEST_REDIS=" + uri + " does not answer PING");
            }
        } catch (IOException e) {
            throw new AssertionError("MIRROR_TEST_REDIS=" + uri + " is unreachable: " + e.getMessage(), e);
        }
        return new RedisServer(uri);
    }

    static RedisServer start() throws Exception {
        String binary = find();
        boolean ci = "true".equalsIgnoreCase(System.getenv("CI"));
        if (binary == null) {
            if (ci) {
                throw new AssertionError("redis-server is not installed; .ci/run installs it (apt-get install redis-server)");
            }
            assumeTrue(false, "redis-server not installed; cluster tests need it (they always run under CI=true)");
        }
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        RedisServer r = new RedisServer(binary, port);
        r.launch();
        return r;
    }

    private static String find() {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
            Path p = Path.of(dir, "redis-server");
            if (Files.isExecutable(p)) {
                return p.toString();
            }
        }
        return null;
    }

    /**
     * A Redis Cluster of {@code n} primaries (no replicas) on free loopback ports, its slots assigned with
     * {@code redis-cli --cluster create}; the returned servers' first one names the seeds in {@link #clusterUri}.
     */
    static List<RedisServer> cluster(int n) throws Exception {
        RedisServer first = start(); // resolves the binary (or skips / fails) like every other test
        first.close();
        List<RedisServer> nodes = new java.util.ArrayList<>();
        StringBuilder seeds = new StringBuilder();
        List<String> create = new java.util.ArrayList<>(List.of(first.binary.replace("redis-server", "redis-cli"),
                "--cluster", "create"));
        for (int i = 0; i < n; i++) {
            int port;
            try (ServerSocket s = new ServerSocket(0)) {
                port = s.getLocalPort();
            }
            Path dir = Files.createTempDirectory("redis-cluster-" + port);
            RedisServer r = new RedisServer(first.binary, port);
            r.clusterDir = dir;
            r.launch();
            nodes.add(r);
            create.add("127.0.0.1:" + port);
            seeds.append(i == 0 ? "" : ",").append("127.0.0.1:").append(port);
        }
        create.addAll(List.of("--cluster-replicas", "0", "--cluster-yes"));
        Process p = new ProcessBuilder(create).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0 || !out.contains("All 16384 slots covered")) {
            for (RedisServer r : nodes) {
                r.close();
            }
            throw new AssertionError("redis-cli --cluster create failed:\n" + out);
        }
        // "All slots covered" is the creator's view; every node must agree (gossip takes a moment) before a
        // client is pointed at it, or its first commands meet CLUSTERDOWN and the mirror rightly falls back.
        String cli = first.binary.replace("redis-server", "redis-cli");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        for (RedisServer r : nodes) {
            while (true) {
                Process info = new ProcessBuilder(cli, "-p", Integer.toString(r.port), "cluster", "info")
                        .redirectErrorStream(true).start();
                String text = new String(info.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                info.waitFor(5, TimeUnit.SECONDS);
                if (text.contains("cluster_state:ok") && text.contains("cluster_slots_ok:16384")) {
                    break;
                }
                if (System.nanoTime() > deadline) {
                    for (RedisServer started : nodes) {
                        started.close();
                    }
                    throw new AssertionError("Redis Cluster node " + r.port + " not ready:\n" + text);
                }
                Thread.sleep(50);
            }
        }
        nodes.get(0).clusterSeeds = seeds.toString();
        return nodes;
    }

    private Path clusterDir;
    private String clusterSeeds;

    /** {@code redis-cluster://} with every seed; only on the first server {@link #cluster} returned. */
    String clusterUri() {
        return "redis-cluster://" + clusterSeeds;
    }

    /** Starts the process and returns once it logs that it accepts connections. */
    private void launch() throws Exception {
        List<String> args = new java.util.ArrayList<>(List.of(binary, "--port", Integer.toString(port), "--bind",
                "127.0.0.1", "--save", "", "--appendonly", "no", "--protected-mode", "yes"));
        if (clusterDir != null) {
            args.addAll(List.of("--cluster-enabled", "yes", "--cluster-config-file",
                    clusterDir.resolve("nodes.conf").toString(), "--dir", clusterDir.toString()));
        }
        process = new ProcessBuilder(args).redirectErrorStream(true).start();
        CountDownLatch ready = new CountDownLatch(1);
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(),
                    StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                    if (line.contains("Ready to accept connections")) {
                        ready.countDown();
                    }
                }
            } catch (IOException e) {
                // The process ended.
            }
        }, "redis-server-" + port);
        reader.setDaemon(true);
        reader.start();
        if (!ready.await(20, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("redis-server on port " + port + " did not start");
        }
    }

    String uri() {
        return externalUri != null ? externalUri : "redis://127.0.0.1:" + port;
    }

    int port() {
        return port;
    }

    /** Kills the server at once (no shutdown handshake a client could notice in advance). */
    void stop() throws InterruptedException {
        if (externalUri != null) {
            throw new IllegalStateException("the shared test Redis is not this test's to stop");
        }
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
    }

    /** Starts it again on the same port, empty. */
    void restart() throws Exception {
        launch();
    }

    @Override
    public void close() throws InterruptedException {
        if (process != null && process.isAlive()) {
            stop();
        }
    }
}
