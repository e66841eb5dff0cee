package io.claudemirror.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.claudemirror.config.MirrorConfig;
import io.claudemirror.config.MirrorConfigBuilder;
import io.claudemirror.support.Http;
import io.claudemirror.support.MirrorServer;
import io.claudemirror.support.MirrorServer.Container;
import io.claudemirror.testkit.FakeAnthropic;
import io.claudemirror.testkit.Fault;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Every failure ends in an Anthropic envelope or an SSE error event, never a hang or a container page. */
class ErrorsTest {
    static final String KEY = "sk-errors-test";
    FakeAnthropic fake;
    MirrorServer mirror;

    void start(Container container, MirrorConfigBuilder builder) throws Exception {
        // The tests read /health details from loopback.
        mirror = MirrorServer.start(container, builder.tenant("t", "plain:" + KEY).set("admin.trustLoopback", true).build());
    }

    MirrorConfigBuilder toFake() {
        fake = FakeAnthropic.start();
        return MirrorConfig.builder().upstream("primary", fake.baseUrl(), "sk-up");
    }

    @AfterEach
    void stop() throws Exception {
        if (mirror != null) {
            mirror.close();
        }
        if (fake != null) {
            fake.close();
        }
    }

    static void assertEnvelope(HttpResponse<String> r, int status, String type) {
        assertThat(r.statusCode()).isEqualTo(status);
        assertThat(r.headers().firstValue("content-type")).hasValueSatisfying(v -> assertThat(v).startsWith("application/json"));
        String id = r.headers().firstValue("request-id").orElseThrow();
        assertThat(id).startsWith("req_");
        assertThat(r.body()).startsWith("{\"type\":\"error\",\"error\":{\"type\":\"" + type + "\"")
                .contains("\"request_id\":\"" + id + "\"");
    }

    @ParameterizedTest
    @EnumSource(Container.class)
    void unknownOrMissingKeyIs401(Container container) throws Exception {
        start(container, toFake());
        assertEnvelope(Http.send(Http.post(mirror.baseUrl() + "/v1/messages", "sk-wrong", Http.messages("x", false))),
                401, "authentication_error");
        assertEnvelope(Http.send(HttpRequest.newBuilder(URI.create(mirror.baseUrl() + "/v1/models"))
                .header("Authorization", "Bearer nope")), 401, "authentication_error");
        assertEnvelope(Http.send(HttpRequest.newBuilder(URI.create(mirror.baseUrl() + "/v1/models"))), 401,
                "authentication_error");
        assertThat(fake.journal().size()).isZero();
    }

    @ParameterizedTest
    @EnumSource(Container.class)
    void bodyOverTheLimitIs413AndMalformedJsonIs400(Container container) throws Exception {
        start(container, toFake().set("maxRequestBytes", "1KB"));
        assertEnvelope(Http.send(Http.post(mirror.baseUrl() + "/v1/messages", KEY, Http.messages("y".repeat(2000), false))),
                413, "request_too_large");
        assertEnvelope(Http.send(Http.post(mirror.baseUrl() + "/v1/messages", KEY, "{\"model\": ")), 400,
                "invalid_request_error");
        assertThat(fake.journal().size()).isZero();
    }

    @ParameterizedTest
    @EnumSource(Container.class)
    void upstream404PassesVerbatim(Container container) throws Exception {
        start(container, toFake());
        HttpResponse<String> r = Http.send(HttpRequest.newBuilder(URI.create(mirror.baseUrl() + "/v1/models/claude-nope"))
                .header("x-api-key", KEY).header("anthropic-version", "2023-06-01"));
        assertThat(r.statusCode()).isEqualTo(404);
        String id = r.headers().firstValue("request-id").orElseThrow();
        assertThat(r.body()).contains("not_found_error").contains("\"request_id\":\"" + id + "\"");
    }

    @ParameterizedTest
    @EnumSource(Container.class)
    void refusedUpstreamGives529WithRetryAfter(Container container) throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        start(container, MirrorConfig.builder().upstream("primary", "http://127.0.0.1:" + closedPort, "sk-up"));
        HttpResponse<String> r = Http.send(Http.post(mirror.baseUrl() + "/v1/messages", KEY, Http.messages("x", false)));
        assertEnvelope(r, 529, "overloaded_error");
        assertThat(r.headers().firstValue("retry-after")).isPresent();
    }

    @ParameterizedTest
    @EnumSource(Container.class)
    void silentUpstreamGives504AtTheIdleTimeout(Container container) throws Exception {
        start(container, toFake().set("timeouts.idle", "1s"));
        fake.enqueue(Fault.hang());
        long t0 = System.nanoTime();
        HttpResponse<String> r = Http.send(Http.post(mirror.baseUrl() + "/v1/messages", KEY, Http.messages("x", false)));
        Duration took = Duration.ofNanos(System.nanoTime() - t0);
        assertEnvelope(r, 504, "timeout_error");
        assertThat(took).isBetween(Duration.ofMillis(900), Duration.ofSeconds(5));
    }

    @ParameterizedTest
    @EnumSource(Container.class)
    void upstreamDroppedMidStreamEndsWithAnErrorEvent(Container container) throws Exception {
        start(container, toFake());
        fake.enqueue(Fault.dropMidStream(3));
        HttpResponse<Stream<String>> r = Http.lines(Http.post(mirror.baseUrl() + "/v1/messages", KEY,
                Http.messages("a reply long enough to have many events", true)));
        assertThat(r.statusCode()).isEqualTo(200);
        List<String> lines = r.body().collect(Collectors.toList());
        assertThat(lines).contains("event: message_start", "event: error");
        assertThat(lines).doesNotContain("event: message_stop");
        assertThat(lines.stream().filter(l -> l.startsWith("data: {\"type\":\"error\"")).findFirst().orElseThrow())
                .contains("overloaded_error");
    }

    @ParameterizedTest
    @EnumSource(Container.class)
    void aStreamWithPingsOutlivesTheIdleTimeout(Container container) throws Exception {
        start(container, toFake().set("timeouts.idle", "1s"));
        fake.pingInterval(Duration.ofMillis(300));
        fake.enqueue(Fault.stall(2, Duration.ofMillis(2500)));
        HttpResponse<Stream<String>> r = Http.lines(Http.post(mirror.baseUrl() + "/v1/messages", KEY,
                Http.messages("slow thinking", true)));
        List<String> lines = r.body().collect(Collectors.toList());
        assertThat(lines).contains("event: ping", "event: message_stop").doesNotContain("event: error");
    }

    @ParameterizedTest
    @EnumSource(Container.class)
    void failoverToBackupBeforeTheFirstByte(Container container) throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        fake = FakeAnthropic.start();
        try (FakeAnthropic overloaded = FakeAnthropic.start()) {
            overloaded.setDefaultFault(Fault.status(529, "overloaded_error", "Overloaded"));
            start(container, MirrorConfig.builder()
                    .upstream("refused", "http://127.0.0.1:" + closedPort, "sk-a")
                    .upstream("overloaded", overloaded.baseUrl(), "sk-b")
                    .upstream("backup", fake.baseUrl(), "sk-c")
                    .set("upstreams[2].backup", "true"));
            HttpResponse<String> r = Http.send(Http.post(mirror.baseUrl() + "/v1/messages", KEY, Http.messages("hello", false)));
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body()).contains("\"text\":\"hello\"");
            assertThat(overloaded.journal().size()).isEqualTo(1);
            assertThat(fake.journal().last().header("x-api-key")).isEqualTo("sk-c");
            HttpResponse<String> health = Http.send(HttpRequest.newBuilder(URI.create(mirror.baseUrl() + "/health")));
            assertThat(health.body()).contains("\"lastFailureReason\":\"status 529\"");
        }
    }
}
