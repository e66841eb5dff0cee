package io.claudemirror.demo.tomcat;

import io.claudemirror.demo.DemoOptions;
import io.claudemirror.demo.Instructions;
import io.claudemirror.demo.MirrorSource;
import io.claudemirror.demo.VirtualThreadsOption;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.anthropic.client.AnthropicClient;
import com.anthropic.client.okhttp.AnthropicOkHttpClient;
import com.anthropic.models.messages.Message;
import com.anthropic.models.messages.MessageCreateParams;
import io.claudemirror.config.ConfigException;
import io.claudemirror.testkit.FakeAnthropic;
import io.claudemirror.testkit.RecordedRequest;
import java.io.IOException;
import java.net.ConnectException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** The Spring Boot (Tomcat) demo as a user meets it: started through its entry point, spoken to over real HTTP. */
class TomcatDemoTest {
    static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    static HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
        return HTTP.send(request.timeout(Duration.ofSeconds(20)).build(),
                HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    }

    static HttpRequest.Builder messages(String url, String text, boolean stream) {
        String body = "{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":256,\"stream\":" + stream
                + ",\"messages\":[{\"role\":\"user\",\"content\":\"" + text + "\"}]}";
        return HttpRequest.newBuilder(URI.create(url + "/v1/messages"))
                .header("anthropic-version", "2023-06-01").header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
    }

    static String readAll(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return "";
        }
        StringBuilder sb = new StringBuilder();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.filter(f -> f.getFileName().toString().endsWith(".jsonl")).toList()) {
                sb.append(Files.readString(f));
            }
        }
        return sb.toString();
    }

    /** With no configuration: the embedded fake upstream and the demo tenant. */
    @Nested
    @TestInstance(TestInstance.Lifecycle.PER_CLASS)
    class EmbeddedDefault {
        TomcatDemo.Running demo;

        @BeforeAll
        void start() throws Exception {
            demo = TomcatDemo.start(0, null);
        }

        @AfterAll
        void stop() {
            demo.close();
        }

        @Test
        void rootIsTheHostsOwnPageAndTheHostDoesNotAnnounceItself() throws Exception {
            HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(demo.url() + "/")));
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.headers().firstValue("content-type")).hasValueSatisfying(v -> assertThat(v).startsWith("text/html"));
            assertThat(r.body()).contains("Acme host app — the Claude mirror lives at /v1").contains("href=\"health\"");
            assertThat(r.headers().firstValue("server")).isEmpty();

            assertThat(send(HttpRequest.newBuilder(URI.create(demo.url() + "/no-such-page"))).statusCode()).isEqualTo(404);
        }

        @Test
        void streamedMessageWithTheDemoKeyArrivesAsServerSentEvents() throws Exception {
            HttpResponse<String> r = send(messages(demo.url(), "Hello from the Tomcat demo", true)
                    .header("x-api-key", MirrorSource.DEMO_KEY));
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.headers().firstValue("content-type")).hasValueSatisfying(v -> assertThat(v).startsWith("text/event-stream"));
            assertThat(r.body()).contains("event: message_start").contains("event: message_stop");
            assertThat(r.headers().firstValue("server")).isEmpty();
        }

        @Test
        void personalDataIsRedactedBeforeTheUpstreamAndRestoredInTheAnswer() throws Exception {
            HttpResponse<String> r = send(messages(demo.url(), "mail me at jane.doe@example.com", false)
                    .header("x-api-key", MirrorSource.DEMO_KEY));
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body()).contains("mail me at jane.doe@example.com");
            RecordedRequest seen = demo.source().fakeUpstream().journal().last();
            assertThat(seen.bodyText()).doesNotContain("jane.doe@example.com");
            assertThat(seen.header("x-api-key")).isEqualTo(MirrorSource.FAKE_UPSTREAM_KEY);
        }

        @Test
        void healthIsTheMirrorsJson() throws Exception {
            HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(demo.url() + "/health")));
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.headers().firstValue("content-type")).hasValueSatisfying(v -> assertThat(v).startsWith("application/json"));
            assertThat(r.body()).startsWith("{\"status\":\"ok\"").contains("\"name\":\"fake-anthropic\"")
                    .doesNotContain(MirrorSource.FAKE_UPSTREAM_KEY);
        }

        @Test
        void metricsLandInTheHostsRegistryAndOnTheScrapeEndpoint() throws Exception {
            send(messages(demo.url(), "count me", false).header("x-api-key", MirrorSource.DEMO_KEY));
            send(messages(demo.url(), "reject me", false).header("x-api-key", "sk-wrong"));
            assertThat(demo.metrics().getNames()).anySatisfy(n -> assertThat(n).startsWith("claude.mirror."));

            HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(demo.url() + "/metrics")));
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.headers().firstValue("content-type")).hasValueSatisfying(v -> assertThat(v).startsWith("text/plain"));
            assertThat(r.body()).contains("# TYPE claude_mirror_").contains("authentication_error");
        }

        @Test
        void auditRecordsRejectedRequestsTooWithoutTheirText() throws Exception {
            send(messages(demo.url(), "secret prompt text", false).header("x-api-key", "sk-wrong"));
            Path dir = Path.of(demo.source().config().audit().dir());
            String audit = "";
            for (long deadline = System.nanoTime() + 5_000_000_000L; System.nanoTime() < deadline; Thread.sleep(50)) {
                audit = readAll(dir);
                if (audit.contains("authentication_error")) {
                    break;
                }
            }
            assertThat(audit).contains("\"status\":401").contains("authentication_error")
                    .doesNotContain("secret prompt text").doesNotContain("sk-wrong");
        }

        @Test
        void statusPageIsMountedAndLinkedFromTheHostPage() throws Exception {
            send(messages(demo.url(), "status me", false).header("x-api-key", MirrorSource.DEMO_KEY));
            assertThat(send(HttpRequest.newBuilder(URI.create(demo.url() + "/"))).body()).contains("href=\"mirror/status\"");
            HttpResponse<String> page = send(HttpRequest.newBuilder(URI.create(demo.url() + "/mirror/status")));
            assertThat(page.statusCode()).isEqualTo(200);
            assertThat(page.body()).contains("Claude Mirror — status");
            HttpResponse<String> json = send(HttpRequest.newBuilder(URI.create(demo.url() + "/mirror/status.json")));
            assertThat(json.statusCode()).isEqualTo(200);
            assertThat(json.body()).contains("\"name\":\"fake-anthropic\",\"healthy\":true").doesNotContain("\"total\":0,");
        }

        @Test
        void claudeCodeProbeAnswersWithoutCredentials() throws Exception {
            HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(demo.url() + "/api/hello"))
                    .method("HEAD", HttpRequest.BodyPublishers.noBody()));
            assertThat(r.statusCode()).isEqualTo(200);
        }

        @Test
        void wrongKeyGetsTheAnthropicEnvelope() throws Exception {
            HttpResponse<String> r = send(messages(demo.url(), "hi", false).header("x-api-key", "sk-wrong"));
            assertThat(r.statusCode()).isEqualTo(401);
            assertThat(r.headers().firstValue("content-type")).hasValueSatisfying(v -> assertThat(v).startsWith("application/json"));
            assertThat(r.headers().firstValue("request-id")).isPresent();
            assertThat(r.body()).startsWith("{\"type\":\"error\",\"error\":{\"type\":\"authentication_error\"");
        }

        @Test
        void bootsErrorPageNeverAnswersForTheMirror() throws Exception {
            // A browser-like Accept would make Boot's error page answer in HTML, had the mirror used sendError.
            HttpResponse<String> denied = send(messages(demo.url(), "hi", false).header("accept", "text/html")
                    .header("authorization", "Bearer sk-wrong"));
            assertThat(denied.statusCode()).isEqualTo(401);
            assertThat(denied.body()).startsWith("{\"type\":\"error\",\"error\":{\"type\":\"authentication_error\"");

            // An upstream 404 for an unknown /v1 path comes through as the upstream's envelope, not Boot's.
            HttpResponse<String> unknown = send(HttpRequest.newBuilder(URI.create(demo.url() + "/v1/no-such-endpoint"))
                    .header("x-api-key", MirrorSource.DEMO_KEY).header("anthropic-version", "2023-06-01")
                    .header("accept", "text/html"));
            assertThat(unknown.statusCode()).isEqualTo(404);
            assertThat(unknown.body()).startsWith("{\"type\":\"error\",\"error\":{\"type\":\"not_found_error\"")
                    .doesNotContain("Whitelabel");
        }

        @Test
        void officialSdkGetsTheEcho() {
            AnthropicClient client = AnthropicOkHttpClient.builder().baseUrl(demo.url())
                    .apiKey(MirrorSource.DEMO_KEY).maxRetries(0).build();
            try {
                Message m = client.messages().create(MessageCreateParams.builder().model("claude-sonnet-4-5")
                        .maxTokens(256).addUserMessage("Hello through the official SDK").build());
                assertThat(m.content().get(0).text().orElseThrow().text()).isEqualTo("Hello through the official SDK");
            } finally {
                client.close();
            }
        }
    }

    /** With {@code --config FILE}: the file's upstream, tenants and injected credential. */
    @Nested
    class ConfigFile {
        @TempDir
        Path dir;

        @Test
        void forwardsToTheConfiguredUpstreamWithItsCredential() throws Exception {
            try (FakeAnthropic upstream = FakeAnthropic.start().requireApiKey("sk-ant-from-the-file")) {
                Path file = Files.writeString(dir.resolve("mirror.yaml"), """
                        mountPath: /claude
                        upstreams:
                          - name: configured
                            url: %s
                            apiKey: sk-ant-from-the-file
                        tenants:
                          - id: team-a
                            keys: ["plain:sk-team-a"]
                        audit:
                          dir: '%s'
                        """.formatted(upstream.baseUrl(), dir.resolve("audit")));
                try (TomcatDemo.Running demo = TomcatDemo.start(0, file)) {
                    String base = demo.url() + "/claude";
                    HttpResponse<String> r = send(messages(base, "configured", false)
                            .header("authorization", "Bearer sk-team-a"));
                    assertThat(r.statusCode()).isEqualTo(200);
                    assertThat(r.body()).contains("\"text\":\"configured\"");
                    RecordedRequest seen = upstream.journal().last();
                    assertThat(seen.header("x-api-key")).isEqualTo("sk-ant-from-the-file");
                    assertThat(seen.header("authorization")).isNull();

                    assertThat(send(messages(base, "x", false).header("x-api-key", MirrorSource.DEMO_KEY))
                            .statusCode()).isEqualTo(401);
                    assertThat(send(HttpRequest.newBuilder(URI.create(base + "/health"))).statusCode()).isEqualTo(200);
                    assertThat(send(HttpRequest.newBuilder(URI.create(demo.url() + "/"))).body())
                            .contains("Acme host app");
                }
            }
        }

        @Test
        void badFileStopsStartUpNamingTheKeyBeforeThePortIsBound() throws Exception {
            int port;
            try (ServerSocket probe = new ServerSocket(0)) {
                port = probe.getLocalPort();
            }
            Path file = Files.writeString(dir.resolve("bad.yaml"), """
                    upstreams:
                      - url: http://127.0.0.1:9
                    tenants:
                      - id: t
                        keys: ["plain:k"]
                    timeouts:
                      idel: 5m
                    """);
            assertThatThrownBy(() -> TomcatDemo.start(port, file))
                    .hasRootCauseInstanceOf(ConfigException.class).rootCause().hasMessageContaining("timeouts.idel");
            assertThatThrownBy(() -> send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/"))))
                    .isInstanceOf(ConnectException.class);
        }
    }

    /** The command line of CONTRACT §1. */
    @Nested
    class CommandLine {
        @TempDir
        Path dir;

        @Test
        void defaultsToPort8080AndTheEmbeddedDefault() {
            assertThat(DemoOptions.parse(new String[0], Map.of())).isEqualTo(new DemoOptions(8080, null));
        }

        @Test
        void portAndConfigInBothSpellingsAndTheEnvironmentAsFallback() throws Exception {
            Path a = Files.writeString(dir.resolve("a.yaml"), "");
            Path b = Files.writeString(dir.resolve("b.yaml"), "");
            assertThat(DemoOptions.parse(new String[] {"--port", "9090", "--config", a.toString()}, Map.of()))
                    .isEqualTo(new DemoOptions(9090, a));
            assertThat(DemoOptions.parse(new String[] {"--port=9091"}, Map.of("MIRROR_CONFIG", b.toString())))
                    .isEqualTo(new DemoOptions(9091, b));
            assertThat(DemoOptions.parse(new String[] {"--config=" + a}, Map.of("MIRROR_CONFIG", b.toString())).config())
                    .isEqualTo(a);
        }

        @Test
        void virtualThreadsBecomesBootsOwnSwitchOnlyWhereTheJvmHasThem() {
            DemoOptions asked = DemoOptions.parse(new String[] {"--virtual-threads"}, Map.of());
            assertThat(asked.virtualThreads()).isTrue();
            if (VirtualThreadsOption.supported()) {
                assertThat(TomcatDemo.springArguments(asked)).contains("--spring.threads.virtual.enabled=true");
            } else {
                assertThat(TomcatDemo.springArguments(asked)).noneMatch(a -> a.contains("spring.threads.virtual"));
            }
            assertThat(TomcatDemo.springArguments(new DemoOptions(8080, null)))
                    .noneMatch(a -> a.contains("spring.threads.virtual"));
        }

        @Test
        void mistakesAreExplained() {
            assertThatThrownBy(() -> DemoOptions.parse(new String[] {"--prot", "1"}, Map.of()))
                    .hasMessageContaining("unknown argument '--prot'").hasMessageContaining("usage:");
            assertThatThrownBy(() -> DemoOptions.parse(new String[] {"--port", "http"}, Map.of()))
                    .hasMessageContaining("--port");
            assertThatThrownBy(() -> DemoOptions.parse(new String[] {"--port"}, Map.of()))
                    .hasMessageContaining("needs a value");
            assertThatThrownBy(() -> DemoOptions.parse(new String[] {"--config", dir.resolve("missing.yaml").toString()}, Map.of()))
                    .hasMessageContaining("not found");
        }
    }
}
