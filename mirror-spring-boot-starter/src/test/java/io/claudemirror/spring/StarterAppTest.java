package io.claudemirror.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.anthropic.client.AnthropicClient;
import com.anthropic.client.okhttp.AnthropicOkHttpClient;
import com.anthropic.core.http.StreamResponse;
import com.anthropic.helpers.MessageAccumulator;
import com.anthropic.models.messages.Message;
import com.anthropic.models.messages.MessageCountTokensParams;
import com.anthropic.models.messages.MessageCreateParams;
import com.anthropic.models.messages.RawMessageStreamEvent;
import com.anthropic.models.models.ModelInfo;
import com.codahale.metrics.MetricRegistry;
import io.claudemirror.config.ConfigException;
import io.claudemirror.spring.app.StarterOnlyApp;
import io.claudemirror.testkit.FakeAnthropic;
import io.claudemirror.testkit.RecordedRequest;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.web.servlet.context.ServletWebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * A Boot application that has only the starter and {@code claude.mirror.*} properties: the official SDK works
 * through it, Actuator shows the mirror's component, and configuration mistakes stop it naming the key.
 */
class StarterAppTest {
    static final String UPSTREAM_KEY = "sk-ant-starter-upstream";
    static final String MIRROR_KEY = "sk-mirror-starter";
    static final String MODEL = "claude-sonnet-4-5-20250929";
    static final HttpClient HTTP = HttpClient.newHttpClient();

    static ConfigurableApplicationContext run(String... args) {
        List<String> all = new ArrayList<>(List.of("--server.port=0", "--server.address=127.0.0.1",
                "--spring.main.banner-mode=off"));
        all.addAll(List.of(args));
        return new SpringApplication(StarterOnlyApp.class).run(all.toArray(String[]::new));
    }

    static int port(ConfigurableApplicationContext context) {
        return ((ServletWebServerApplicationContext) context).getWebServer().getPort();
    }

    @Nested
    @TestInstance(TestInstance.Lifecycle.PER_CLASS)
    class FromProperties {
        FakeAnthropic fake;
        ConfigurableApplicationContext app;
        String base;

        @BeforeAll
        void start(@TempDir Path dir) {
            fake = FakeAnthropic.start().requireApiKey(UPSTREAM_KEY);
            app = run("--claude.mirror.mount-path=/claude",
                    "--claude.mirror.upstreams[0].name=fake",
                    "--claude.mirror.upstreams[0].url=" + fake.baseUrl(),
                    "--claude.mirror.upstreams[0].api-key=" + UPSTREAM_KEY,
                    "--claude.mirror.timeouts.idle=2m",
                    "--claude.mirror.tenants[0].id=team-a",
                    "--claude.mirror.tenants[0].keys[0]=plain:" + MIRROR_KEY,
                    "--claude.mirror.tenants[0].limits.requests-per-minute=1000",
                    "--claude.mirror.pii.mode=redact",
                    "--claude.mirror.audit.dir=" + dir.resolve("audit"),
                    "--management.endpoint.health.show-components=always",
                    "--management.endpoint.health.show-details=always");
            base = "http://127.0.0.1:" + port(app);
        }

        @AfterAll
        void stop() {
            app.close();
            fake.close();
        }

        AnthropicClient client() {
            return AnthropicOkHttpClient.builder().baseUrl(base + "/claude").apiKey(MIRROR_KEY).maxRetries(0).build();
        }

        @Test
        void theOfficialSdkCreatesStreamsCountsAndListsThroughTheMirror() throws Exception {
            AnthropicClient client = client();
            try {
                Message m = client.messages().create(MessageCreateParams.builder().model(MODEL).maxTokens(128)
                        .addUserMessage("Hello through the starter, jane.doe@example.com").build());
                assertThat(m.content().get(0).text().orElseThrow().text())
                        .isEqualTo("Hello through the starter, jane.doe@example.com");
                RecordedRequest seen = fake.journal().last();
                assertThat(seen.header("x-api-key")).isEqualTo(UPSTREAM_KEY);
                assertThat(seen.bodyText()).doesNotContain("jane.doe@example.com");

                MessageAccumulator acc = MessageAccumulator.create();
                try (StreamResponse<RawMessageStreamEvent> s = client.messages().createStreaming(MessageCreateParams
                        .builder().model(MODEL).maxTokens(128).addUserMessage("a streamed reply in several deltas")
                        .build())) {
                    s.stream().forEach(acc::accumulate);
                }
                assertThat(acc.message().content().get(0).text().orElseThrow().text())
                        .isEqualTo("a streamed reply in several deltas");

                assertThat(client.messages().countTokens(MessageCountTokensParams.builder().model(MODEL)
                        .addUserMessage("count me").build()).inputTokens()).isPositive();
                assertThat(client.models().list().data().stream().map(ModelInfo::id)).contains(MODEL);
            } finally {
                client.close();
            }
        }

        @Test
        void wrongKeyGetsTheEnvelopeAndTheRateLimitHeadersComeFromTheProperties() throws Exception {
            HttpResponse<String> denied = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/claude/v1/models"))
                    .header("x-api-key", "sk-wrong").header("anthropic-version", "2023-06-01").build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(denied.statusCode()).isEqualTo(401);
            assertThat(denied.body()).startsWith("{\"type\":\"error\",\"error\":{\"type\":\"authentication_error\"");

            HttpResponse<String> ok = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/claude/v1/models"))
                    .header("x-api-key", MIRROR_KEY).header("anthropic-version", "2023-06-01").build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(ok.statusCode()).isEqualTo(200);
            assertThat(ok.headers().firstValue("anthropic-ratelimit-requests-limit")).hasValue("1000");
        }

        @Test
        void actuatorHealthShowsTheMirrorsComponent() throws Exception {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/actuator/health")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body()).contains("\"claudeMirror\":{\"status\":\"UP\"")
                    .contains("\"fake\":{\"healthy\":true").doesNotContain(UPSTREAM_KEY);
        }

        /** The starter puts its error valve on Tomcat: what Tomcat refuses under the mount is an envelope. */
        @Test
        void tomcatsOwnRefusalsUnderTheMountGetTheEnvelopeAndTheHostKeepsItsPages() throws Exception {
            for (String target : new String[] {"/claude/v1/%zz", "/claude/v1/%2e%2e/%2e%2e/actuator/health",
                    "/claude/../actuator/health"}) {
                String reply = rawGet(target);
                assertThat(reply).startsWith("HTTP/1.1 400").containsIgnoringCase("content-type: application/json")
                        .contains("{\"type\":\"error\",\"error\":{\"type\":\"invalid_request_error\"")
                        .containsPattern("request-id: req_[0-9A-Za-z]{24}").doesNotContainIgnoringCase("<html");
            }
            assertThat(rawGet("/%zz")).startsWith("HTTP/1.1 400").containsIgnoringCase("<html")
                    .doesNotContain("\"type\":\"error\"");
        }

        /** A request line written as is (no client would send these), answered until the server closes. */
        String rawGet(String target) throws Exception {
            try (Socket socket = new Socket("127.0.0.1", port(app))) {
                socket.setSoTimeout(10_000);
                socket.getOutputStream().write(("GET " + target + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
                return new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            }
        }

        @Test
        void metricsGoToTheRegistryBeanAndTheMirrorsEndpointsAreMounted() throws Exception {
            assertThat(app.getBean(MetricRegistry.class).getNames()).contains("claude.mirror.requests");
            HttpResponse<String> health = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/claude/health")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(health.body()).startsWith("{\"status\":\"ok\"");
        }
    }

    @Nested
    class HostBeans {
        @Test
        void theStarterRecordsIntoTheHostsRegistry() throws Exception {
            try (FakeAnthropic fake = FakeAnthropic.start()) {
                MetricRegistry hosts = new MetricRegistry();
                SpringApplication application = new SpringApplication(StarterOnlyApp.class);
                application.addInitializers(c -> c.getBeanFactory().registerSingleton("hostRegistry", hosts));
                try (ConfigurableApplicationContext app = application.run("--server.port=0",
                        "--server.address=127.0.0.1", "--spring.main.banner-mode=off",
                        "--claude.mirror.upstreams[0].url=" + fake.baseUrl(), "--claude.mirror.auth.mode=passthrough",
                        "--claude.mirror.audit.dir=")) {
                    assertThat(app.getBeansOfType(MetricRegistry.class)).containsOnlyKeys("hostRegistry");
                    assertThat(hosts.getNames()).contains("claude.mirror.requests");
                }
            }
        }

        @Test
        void disabledMeansNothingIsMounted() throws Exception {
            try (ConfigurableApplicationContext app = run("--claude.mirror.enabled=false")) {
                assertThat(app.getBeansOfType(io.claudemirror.MirrorRuntime.class)).isEmpty();
                HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + port(app) + "/v1/models")).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(r.statusCode()).isEqualTo(404);
            }
        }
    }

    @Nested
    class Mistakes {
        @Test
        void aBadValueStopsStartUpNamingTheKey() {
            assertThatThrownBy(() -> run("--claude.mirror.upstreams[0].url=http://127.0.0.1:9",
                    "--claude.mirror.auth.mode=sometimes"))
                    .hasRootCauseInstanceOf(ConfigException.class).rootCause().hasMessageContaining("auth.mode");
        }

        @Test
        void aMissingUpstreamStopsStartUpNamingTheKey() {
            assertThatThrownBy(() -> run("--claude.mirror.tenants[0].id=t"))
                    .rootCause().hasMessageContaining("upstreams");
        }

        @Test
        void anUnknownKeyStopsStartUp() {
            assertThatThrownBy(() -> run("--claude.mirror.upstreams[0].url=http://127.0.0.1:9",
                    "--claude.mirror.auth.mode=passthrough", "--claude.mirror.timeouts.idel=5m"))
                    .hasStackTraceContaining("claude.mirror.timeouts.idel");
        }
    }
}
