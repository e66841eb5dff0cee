package io.claudemirror.demo.jetty;

import io.claudemirror.testkit.RawHttp;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.claudemirror.config.MirrorConfig;
import io.claudemirror.demo.DemoOptions;
import io.claudemirror.demo.MirrorSource;
import io.claudemirror.testkit.FakeAnthropic;
import io.claudemirror.testkit.Fault;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The Jetty demo as an attacker meets it (issue 7, points 10 and 14): where it listens, what Jetty's own
 * refusals under {@code /v1} look like, and how long a client that stalls mid-body holds on.
 */
class JettyDemoHardeningTest {
    /** An IPv4 address of this machine that is not loopback, if it has one. */
    static Optional<InetAddress> nonLoopbackAddress() throws Exception {
        for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
            if (!nic.isUp() || nic.isLoopback()) {
                continue;
            }
            for (InetAddress a : Collections.list(nic.getInetAddresses())) {
                if (a instanceof Inet4Address && !a.isLoopbackAddress() && !a.isLinkLocalAddress()) {
                    return Optional.of(a);
                }
            }
        }
        return Optional.empty();
    }

    static void connect(InetAddress address, int port) throws Exception {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(address, port), 3000);
        }
    }

    @Nested
    class Binding {
        @Test
        void byDefaultTheDemoListensOnLoopbackOnly() throws Exception {
            try (JettyDemo.Running demo = JettyDemo.start(0, null)) {
                assertThat(demo.host()).isEqualTo("127.0.0.1");
                assertThat(demo.boundAddress().getAddress().isLoopbackAddress()).isTrue();
                assertThat(demo.url()).isEqualTo("http://127.0.0.1:" + demo.port());
                Optional<InetAddress> lan = nonLoopbackAddress();
                if (lan.isPresent()) {
                    assertThatThrownBy(() -> connect(lan.get(), demo.port())).isInstanceOf(ConnectException.class);
                }
            }
        }

        @Test
        void hostZeroListensOnEveryInterface() throws Exception {
            DemoOptions options = DemoOptions.parse(new String[] {"--host", "0.0.0.0", "--port", "0"}, Map.of());
            try (JettyDemo.Running demo = JettyDemo.start(options.host(), options.port(), options.config())) {
                assertThat(demo.boundAddress().getAddress().isAnyLocalAddress()).isTrue();
                assertThat(demo.url()).isEqualTo("http://localhost:" + demo.port());
                connect(InetAddress.getLoopbackAddress(), demo.port());
                Optional<InetAddress> lan = nonLoopbackAddress();
                if (lan.isPresent()) {
                    connect(lan.get(), demo.port());
                    RawHttp.Response page = RawHttp.send(lan.get().getHostAddress(), demo.port(), "GET / HTTP/1.1");
                    assertThat(page.status()).isEqualTo(200);
                }
            }
        }

        @Test
        void theHostOptionIsParsedAndChecked() {
            assertThat(DemoOptions.parse(new String[0], Map.of()).host()).isEqualTo("127.0.0.1");
            assertThat(DemoOptions.parse(new String[] {"--host=::1"}, Map.of()).host()).isEqualTo("::1");
            assertThat(DemoOptions.parse(new String[] {"--host", "[::]"}, Map.of()).host()).isEqualTo("::");
            assertThatThrownBy(() -> DemoOptions.parse(new String[] {"--host", ""}, Map.of()))
                    .hasMessageContaining("--host");
            assertThatThrownBy(() -> DemoOptions.parse(new String[] {"--host"}, Map.of()))
                    .hasMessageContaining("needs a value");
            assertThat(DemoOptions.USAGE).contains("--host ADDR");
            assertThat(DemoOptions.baseUrl("::1", 8080)).isEqualTo("http://[::1]:8080");
        }
    }

    /** What Jetty refuses before the web application runs gets the Anthropic envelope under /v1. */
    @Nested
    @TestInstance(TestInstance.Lifecycle.PER_CLASS)
    class ErrorPages {
        JettyDemo.Running demo;

        @BeforeAll
        void start() throws Exception {
            demo = JettyDemo.start(0, null);
        }

        @AfterAll
        void stop() {
            demo.close();
        }

        @ParameterizedTest
        @ValueSource(strings = {
            "GET /v1/%2e%2e/x HTTP/1.1",
            "POST /v1/%2e%2e/messages HTTP/1.1",
            "GET //v1/messages HTTP/1.1",
            "GET /v1/%zz HTTP/1.1",
            "GET /v1/a%2fb HTTP/1.1",
            "GET /v1/messages%00 HTTP/1.1",
            "POST /v1/messages HTTP/1.1\r\nx-padding: %BIG%",
            "GET /v1/%LONG% HTTP/1.1",
        })
        void rejectedSpellingsUnderTheMountGetTheEnvelope(String head) throws Exception {
            RawHttp.Response r = RawHttp.send("127.0.0.1", demo.port(),
                    head.replace("%BIG%", "a".repeat(20_000)).replace("%LONG%", "b".repeat(20_000)));
            assertThat(r.status()).isBetween(400, 499);
            assertThat(r.header("content-type")).startsWith("application/json");
            assertThat(r.header("request-id")).matches("req_[0-9A-Za-z]{24}");
            assertThat(r.body()).startsWith("{\"type\":\"error\",\"error\":{\"type\":\"")
                    .contains("\"request_id\":\"" + r.header("request-id") + "\"")
                    .doesNotContainIgnoringCase("<html");
            assertThat(r.body()).containsAnyOf("\"invalid_request_error\"", "\"not_found_error\"", "\"request_too_large\"");
            if (head.contains("%BIG%") || head.contains("%LONG%")) {
                assertThat(r.body()).contains("\"request_too_large\"");
            }
        }

        @Test
        void theHostsOwnPathsKeepTheHostsPages() throws Exception {
            RawHttp.Response ambiguous = RawHttp.send("127.0.0.1", demo.port(), "GET /x/%2e%2e/y HTTP/1.1");
            assertThat(ambiguous.status()).isEqualTo(400);
            assertThat(ambiguous.body()).containsIgnoringCase("<html");
            RawHttp.Response missing = RawHttp.send("127.0.0.1", demo.port(), "GET /no-such-page HTTP/1.1");
            assertThat(missing.status()).isEqualTo(404);
            assertThat(missing.body()).containsIgnoringCase("<html");
        }
    }

    /** A client that declares a body and then goes silent is cut after timeouts.bodyRead, not the connector idle. */
    @Test
    void aStalledUploadIsCutAfterTheBodyReadTimeoutWhileTheConnectorIdleStaysLong(@TempDir Path dir) throws Exception {
        try (FakeAnthropic upstream = FakeAnthropic.start()) {
            Path file = Files.writeString(dir.resolve("mirror.yaml"), """
                    upstreams:
                      - url: %s
                    tenants:
                      - id: t
                        keys: ["plain:sk-t"]
                    timeouts:
                      bodyRead: 1s
                    audit:
                      dir: ''
                    state:
                      dir: '%s'
                    """.formatted(upstream.baseUrl(), dir.resolve("state")));
            try (JettyDemo.Running demo = JettyDemo.start(0, file);
                 Socket socket = new Socket("127.0.0.1", demo.port())) {
                socket.setSoTimeout(20_000);
                OutputStream out = socket.getOutputStream();
                out.write(("POST /v1/messages HTTP/1.1\r\nHost: x\r\nx-api-key: sk-t\r\ncontent-type: application/json\r\n"
                        + "content-length: 100000\r\n\r\n{\"model\":").getBytes(StandardCharsets.US_ASCII));
                out.flush();
                long start = System.nanoTime();
                InputStream in = socket.getInputStream();
                RawHttp.Response r = RawHttp.read(in);
                long waitedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                // The connector's idle timeout is over five minutes; only the upload timeout ends this so soon.
                assertThat(waitedMs).isLessThan(10_000);
                assertThat(r.status()).isEqualTo(408);
                assertThat(r.header("content-type")).startsWith("application/json");
                assertThat(r.body()).contains("\"timeout_error\"").contains("timeouts.bodyRead");
                assertThat(upstream.journal().all()).isEmpty();
            }
        }
    }

    /** The short upload timeout ends with the body: a stream that pauses longer than it still arrives whole. */
    @Test
    void aStreamQuieterThanTheBodyReadTimeoutStillArrives(@TempDir Path dir) throws Exception {
        try (FakeAnthropic upstream = FakeAnthropic.start()) {
            upstream.enqueue(Fault.stall(2, Duration.ofMillis(2500)));
            Path file = Files.writeString(dir.resolve("mirror.yaml"), """
                    upstreams:
                      - url: %s
                    tenants:
                      - id: t
                        keys: ["plain:sk-t"]
                    timeouts:
                      bodyRead: 1s
                    audit:
                      dir: ''
                    state:
                      dir: '%s'
                    """.formatted(upstream.baseUrl(), dir.resolve("state")));
            try (JettyDemo.Running demo = JettyDemo.start(0, file)) {
                HttpResponse<String> r = JettyDemoTest.send(JettyDemoTest.messages(demo.url(), "a pause in the middle", true)
                        .header("x-api-key", "sk-t"));
                assertThat(r.statusCode()).isEqualTo(200);
                assertThat(r.body()).contains("event: message_stop").doesNotContain("event: error");
            }
        }
    }

    /** The embedded default trusts loopback callers as admin and writes nothing into the working directory. */
    @Test
    void theEmbeddedDefaultTrustsLoopbackAndKeepsItsStateInTheTemporaryDirectory() throws Exception {
        try (MirrorSource source = MirrorSource.embeddedDefault()) {
            MirrorConfig config = source.config();
            assertThat(config.admin().trustLoopback()).isTrue();
            Path temp = source.file().getParent();
            assertThat(Path.of(config.state().dir())).startsWithRaw(temp);
            assertThat(Path.of(config.audit().dir())).startsWithRaw(temp);
        }
    }
}
