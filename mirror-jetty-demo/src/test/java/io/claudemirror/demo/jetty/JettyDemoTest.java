package io.claudemirror.demo.jetty;

import io.claudemirror.demo.DemoOptions;
import io.claudemirror.demo.Instructions;
import io.claudemirror.demo.MirrorSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.anthropic.client.AnthropicClient;
import com.anthropic.client.okhttp.AnthropicOkHttpClient;
import com.anthropic.models.messages.Message;
import com.anthropic.models.messages.MessageCreateParams;
import io.claudemirror.config.ConfigException;
import io.claudemirror.config.ConfigLoader;
import io.claudemirror.config.MirrorConfig;
import io.claudemirror.testkit.FakeAnthropic;
import io.claudemirror.testkit.RecordedRequest;
import java.io.IOException;
import java.io.Reader;
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

/** The Jetty demo as a user meets it: started through its entry point, spoken to over real HTTP. */
class JettyDemoTest {
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
        JettyDemo.Running demo;

        @BeforeAll
        void start() throws Exception {
            demo = JettyDemo.start(0, null);
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
            HttpResponse<String> r = send(messages(demo.url(), "Hello from the Jetty demo", true)
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
                try (JettyDemo.Running demo = JettyDemo.start(0, file)) {
                    HttpResponse<String> r = send(messages(demo.url(), "configured", false)
                            .header("authorization", "Bearer sk-team-a"));
                    assertThat(r.statusCode()).isEqualTo(200);
                    assertThat(r.body()).contains("\"text\":\"configured\"");
                    RecordedRequest seen = upstream.journal().last();
                    assertThat(seen.header("x-api-key")).isEqualTo("sk-ant-from-the-file");
                    assertThat(seen.header("authorization")).isNull();

                    assertThat(send(messages(demo.url(), "x", false).header("x-api-key", MirrorSource.DEMO_KEY))
                            .statusCode()).isEqualTo(401);
                }
            }
        }

        @Test
        void mountPathIsRefusedBecauseWebXmlFixesTheUrlPatterns() throws Exception {
            Path file = Files.writeString(dir.resolve("mounted.yaml"), """
                    mountPath: /claude
                    upstreams:
                      - url: http://127.0.0.1:9
                    tenants:
                      - id: t
                        keys: ["plain:k"]
                    """);
            assertThatThrownBy(() -> JettyDemo.start(0, file))
                    .isInstanceOf(ConfigException.class).hasMessageContaining("mountPath").hasMessageContaining("web.xml");
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
            assertThatThrownBy(() -> JettyDemo.start(port, file))
                    .isInstanceOf(ConfigException.class).hasMessageContaining("timeouts.idel");
            assertThatThrownBy(() -> send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/"))))
                    .isInstanceOf(ConnectException.class);
        }
    }

    /**
     * The shipped example documents every key and holds no usable credential (issue 7, point 14): with its
     * environment set it is a file the mirror accepts, every key comes from the environment, none is plain:.
     */
    @Test
    void exampleConfigurationLoadsFromTheEnvironmentAndHoldsNoUsableKey() throws Exception {
        String digest = "sha256:" + "ab".repeat(32);
        Map<String, String> env = Map.of("ANTHROPIC_API_KEY", "sk-ant-example", "MIRROR_TEAM_A_KEY_SHA256", digest);
        try (Reader yaml = Files.newBufferedReader(Path.of("mirror.example.yaml"))) {
            MirrorConfig config = ConfigLoader.fromYaml(yaml, env);
            assertThat(config.upstreams()).singleElement().satisfies(u -> assertThat(u.apiKey()).isEqualTo("sk-ant-example"));
            assertThat(config.tenants()).singleElement().satisfies(t -> {
                assertThat(t.models()).containsExactly("claude-*");
                assertThat(t.keys()).containsExactly(digest);
            });
            assertThat(config.tenants()).flatMap(MirrorConfig.Tenant::keys).noneMatch(k -> k.startsWith("plain:"));
            assertThat(config.admin().keys()).noneMatch(k -> k.startsWith("plain:"));
            assertThat(config.admin().trustLoopback()).isFalse();
            assertThat(config.pii().mode()).isEqualTo(MirrorConfig.PiiMode.REDACT);
            assertThat(config.timeouts().bodyRead()).isEqualTo(Duration.ofSeconds(30));
            assertThat(config.publicBaseUrl()).isEmpty();
        }
        // Outside comments, no line carries a key in the clear.
        assertThat(Files.readAllLines(Path.of("mirror.example.yaml")).stream()
                .map(line -> line.contains("#") ? line.substring(0, line.indexOf('#')) : line))
                .noneMatch(line -> line.contains("plain:") || line.contains("sk-"));
        try (Reader yaml = Files.newBufferedReader(Path.of("mirror.example.yaml"))) {
            assertThatThrownBy(() -> ConfigLoader.fromYaml(yaml, Map.of("ANTHROPIC_API_KEY", "sk-ant-example")))
                    .isInstanceOf(ConfigException.class).hasMessageContaining("MIRROR_TEAM_A_KEY_SHA256");
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
        void virtualThreadsIsAFlagThatIsOffUnlessGiven() {
            assertThat(DemoOptions.parse(new String[] {"--port", "9090"}, Map.of()).virtualThreads()).isFalse();
            assertThat(DemoOptions.parse(new String[] {"--virtual-threads", "--port", "9090"}, Map.of()))
                    .isEqualTo(new DemoOptions(9090, null, DemoOptions.DEFAULT_HOST, true));
            assertThatThrownBy(() -> DemoOptions.parse(new String[] {"--virtual-threads=yes"}, Map.of()))
                    .hasMessageContaining("unknown argument '--virtual-threads=yes'");
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
