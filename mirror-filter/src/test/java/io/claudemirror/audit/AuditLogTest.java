package io.claudemirror.audit;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.claudemirror.config.MirrorConfig;
import io.claudemirror.config.MirrorConfigBuilder;
import io.claudemirror.support.Http;
import io.claudemirror.support.MirrorServer;
import io.claudemirror.support.RawClient;
import io.claudemirror.support.MirrorServer.Container;
import io.claudemirror.testkit.FakeAnthropic;
import io.claudemirror.testkit.Fault;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** One metadata-only audit line per request, whatever its outcome, on both containers. */
class AuditLogTest {
    static final String KEY = "sk-audit-client-key-7d1f";
    static final String UPSTREAM_KEY = "sk-audit-upstream-key-93ab";

    @TempDir
    Path dir;
    FakeAnthropic fake;
    MirrorServer mirror;

    MirrorConfigBuilder config() {
        fake = FakeAnthropic.start();
        return MirrorConfig.builder().upstream("primary", fake.baseUrl(), UPSTREAM_KEY).tenant("t1", "plain:" + KEY)
                .set("audit.dir", dir.toString());
    }

    void start(Container container, MirrorConfigBuilder builder) throws Exception {
        mirror = MirrorServer.start(container, builder.build());
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

    Path today() {
        return dir.resolve("audit-" + LocalDate.now(ZoneOffset.UTC) + ".jsonl");
    }

    /** Waits (at most 5 s) for a record matching {@code which}: records are written after the response ended. */
    Map<String, Object> awaitRecord(Predicate<Map<String, Object>> which) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        do {
            for (Map<String, Object> r : records()) {
                if (which.test(r)) {
                    return r;
                }
            }
            Thread.sleep(20);
        } while (System.nanoTime() < deadline);
        throw new AssertionError("no matching audit record in " + records());
    }

    /** Everything queued so far is on disk: a record that was going to be written twice would be there now. */
    void flushed() throws Exception {
        AuditWriter w = (AuditWriter) mirror.runtime().serviceIfPresent(AuditSink.class);
        assertThat(w.awaitFlushed(Duration.ofSeconds(5))).isTrue();
    }

    List<Map<String, Object>> records() throws Exception {
        List<Map<String, Object>> out = new ArrayList<>();
        if (!Files.exists(today())) {
            return out;
        }
        for (String line : Files.readAllLines(today(), StandardCharsets.UTF_8)) {
            out.add(parse(line));
        }
        return out;
    }

    /** A flat JSON object; nested objects (piiFindings) become maps. Fails on anything that is not one object. */
    static Map<String, Object> parse(String line) throws Exception {
        try (JsonParser p = new JsonFactory().createParser(line)) {
            assertThat(p.nextToken()).isEqualTo(JsonToken.START_OBJECT);
            Map<String, Object> m = object(p);
            assertThat(p.nextToken()).as("one object per line").isNull();
            return m;
        }
    }

    private static Map<String, Object> object(JsonParser p) throws Exception {
        Map<String, Object> m = new LinkedHashMap<>();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken t = p.nextToken();
            m.put(name, switch (t) {
                case START_OBJECT -> object(p);
                case VALUE_NULL -> null;
                case VALUE_TRUE, VALUE_FALSE -> p.getBooleanValue();
                case VALUE_NUMBER_INT -> p.getLongValue();
                case VALUE_STRING -> p.getText();
                default -> throw new AssertionError("unexpected " + t + " at " + name);
            });
        }
        return m;
    }

    static Predicate<Map<String, Object>> id(String requestId) {
        return r -> requestId.equals(r.get("requestId"));
    }

    @ParameterizedTest
    @EnumSource(Container.class)
    void successAndRejectionEachWriteOneLineWithTheContractFields(Container container) throws Exception {
        start(container, config());
        HttpResponse<String> ok = Http.send(Http.post(mirror.baseUrl() + "/v1/messages", KEY,
                Http.messages("hello", false)).header("User-Agent", "audit-test/1.0"));
        assertThat(ok.statusCode()).isEqualTo(200);
        HttpResponse<String> denied = Http.send(Http.post(mirror.baseUrl() + "/v1/messages?beta=true", "sk-wrong",
                Http.messages("hello", false)));
        assertThat(denied.statusCode()).isEqualTo(401);

        Map<String, Object> r = awaitRecord(id(ok.headers().firstValue("request-id").orElseThrow()));
        assertThat(r).containsKeys("ts", "requestId", "tenant", "method", "path", "model", "stream", "status",
                "errorType", "latencyMs", "upstream", "attempts", "cache", "inputTokens", "outputTokens",
                "piiFindings");
        assertThat(Instant.parse((String) r.get("ts"))).isBetween(Instant.now().minusSeconds(60), Instant.now());
        assertThat(r).containsEntry("tenant", "t1").containsEntry("method", "POST")
                .containsEntry("path", "/v1/messages").containsEntry("model", "claude-sonnet-4-5-20250929")
                .containsEntry("stream", false).containsEntry("status", 200L).containsEntry("errorType", null)
                .containsEntry("upstream", "primary").containsEntry("attempts", 1L).containsEntry("cache", "NONE")
                .containsEntry("clientAborted", false).containsEntry("userAgent", "audit-test/1.0")
                .containsEntry("piiFindings", Map.of());
        assertThat((Long) r.get("inputTokens")).isPositive();
        assertThat((Long) r.get("outputTokens")).isPositive();
        assertThat((Long) r.get("latencyMs")).isNotNegative();
        assertThat(r.get("mirrorRequestId")).asString().startsWith("req_");

        Map<String, Object> rejected = awaitRecord(id(denied.headers().firstValue("request-id").orElseThrow()));
        assertThat(rejected).containsEntry("status", 401L).containsEntry("errorType", "authentication_error")
                .containsEntry("tenant", null).containsEntry("upstream", null).containsEntry("attempts", 0L)
                .containsEntry("path", "/v1/messages").containsEntry("inputTokens", null);
        flushed();
        assertThat(records()).as("exactly one line per request").hasSize(2);
    }

    @ParameterizedTest
    @EnumSource(Container.class)
    void streamedRequestRecordsTokensAndTimeToFirstByte(Container container) throws Exception {
        start(container, config());
        HttpResponse<Stream<String>> r = Http.lines(Http.post(mirror.baseUrl() + "/v1/messages", KEY,
                Http.messages("stream me please", true)));
        assertThat(r.body().filter(l -> l.startsWith("event: message_stop")).count()).isEqualTo(1);
        Map<String, Object> rec = awaitRecord(id(r.headers().firstValue("request-id").orElseThrow()));
        assertThat(rec).containsEntry("stream", true).containsEntry("status", 200L).containsEntry("errorType", null);
        assertThat((Long) rec.get("inputTokens")).isPositive();
        assertThat((Long) rec.get("outputTokens")).isPositive();
        assertThat((Long) rec.get("ttfbMs")).isNotNull().isLessThanOrEqualTo((Long) rec.get("latencyMs"));
    }

    @ParameterizedTest
    @EnumSource(Container.class)
    void upstreamTimeoutIsRecordedAs504(Container container) throws Exception {
        start(container, config().set("timeouts.idle", "1s"));
        fake.enqueue(Fault.hang());
        HttpResponse<String> r = Http.send(Http.post(mirror.baseUrl() + "/v1/messages", KEY, Http.messages("x", false)));
        assertThat(r.statusCode()).isEqualTo(504);
        Map<String, Object> rec = awaitRecord(id(r.headers().firstValue("request-id").orElseThrow()));
        assertThat(rec).containsEntry("status", 504L).containsEntry("errorType", "timeout_error")
                .containsEntry("upstream", "primary").containsEntry("outputTokens", null);
        assertThat((Long) rec.get("latencyMs")).isGreaterThanOrEqualTo(900L);
    }

    @ParameterizedTest
    @EnumSource(Container.class)
    void clientAbortIsRecorded(Container container) throws Exception {
        start(container, config());
        fake.eventDelay(Duration.ofMillis(100));
        byte[] body = Http.messages("abort ".repeat(100), true).getBytes(StandardCharsets.UTF_8);
        try (RawClient client = RawClient.postMessages(mirror.port(), KEY, body)) {
            assertThat(client.readEvents(2)).isEqualTo(2);
        }
        Map<String, Object> rec = awaitRecord(r -> Boolean.TRUE.equals(r.get("clientAborted")));
        assertThat(rec).containsEntry("stream", true).containsEntry("tenant", "t1");
    }

    @ParameterizedTest
    @EnumSource(Container.class)
    void theFileHoldsNoMessageTextKeysOrPiiValues(Container container) throws Exception {
        start(container, config().set("pii.mode", "redact"));
        String marker = "ZEBRA-MARKER-4711";
        String email = "jane.marker@example.org";
        Http.send(Http.post(mirror.baseUrl() + "/v1/messages", KEY, "{\"model\":\"claude-sonnet-4-5-20250929\","
                + "\"max_tokens\":64,\"system\":\"system " + marker + "\",\"messages\":[{\"role\":\"user\","
                + "\"content\":\"" + marker + " mail " + email + "\"}]}"));
        HttpResponse<Stream<String>> s = Http.lines(Http.post(mirror.baseUrl() + "/v1/messages", KEY,
                Http.messages(marker + " streamed", true)));
        s.body().forEach(l -> { });
        Http.send(Http.post(mirror.baseUrl() + "/v1/messages", "Bearer-less " + marker, Http.messages(marker, false)));
        awaitRecord(r -> r.get("status") != null && (Long) r.get("status") == 401L);
        flushed();
        assertThat(records()).hasSize(3);
        assertThat(records()).as("the finding is counted, by type").anySatisfy(r ->
                assertThat((Map<?, ?>) r.get("piiFindings")).isNotEmpty().allSatisfy((type, n) ->
                        assertThat((Long) n).isPositive()));
        String file = Files.readString(today(), StandardCharsets.UTF_8);
        assertThat(file).doesNotContain(marker).doesNotContain(email).doesNotContain("jane")
                .doesNotContain(KEY).doesNotContain(UPSTREAM_KEY).doesNotContain("sk-audit");
    }

    @ParameterizedTest
    @EnumSource(Container.class)
    void upstreamErrorsGetTheirTypeFromTheStatus(Container container) throws Exception {
        start(container, config());
        HttpResponse<String> r = Http.send(HttpRequest.newBuilder(URI.create(mirror.baseUrl() + "/v1/models/claude-nope"))
                .header("x-api-key", KEY).header("anthropic-version", "2023-06-01"));
        assertThat(r.statusCode()).isEqualTo(404);
        Map<String, Object> rec = awaitRecord(id(r.headers().firstValue("request-id").orElseThrow()));
        assertThat(rec).containsEntry("method", "GET").containsEntry("errorType", "not_found_error")
                .containsEntry("model", null).containsEntry("path", "/v1/models/claude-nope");
    }

    @Test
    void filesOlderThanTheRetentionAreDeletedAtStart() throws Exception {
        Path old = Files.writeString(dir.resolve("audit-2000-01-01.jsonl"), "{}\n");
        Path recent = Files.writeString(dir.resolve("audit-" + LocalDate.now(ZoneOffset.UTC).minusDays(1) + ".jsonl"),
                "{}\n");
        Path other = Files.writeString(dir.resolve("audit-2000-01-02.jsonl.gz"), "x");
        start(Container.JETTY, config().set("audit.retention", "2d"));
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (Files.exists(old) && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(old).doesNotExist();
        assertThat(recent).exists();
        assertThat(other).as("only audit-YYYY-MM-DD.jsonl files are touched").exists();
    }

    @Test
    void emptyDirectoryTurnsAuditOff() throws Exception {
        start(Container.JETTY, config().set("audit.dir", ""));
        assertThat(Http.send(Http.post(mirror.baseUrl() + "/v1/messages", KEY, Http.messages("x", false))).statusCode())
                .isEqualTo(200);
        assertThat(mirror.runtime().serviceIfPresent(AuditSink.class)).isNull();
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files).isEmpty();
        }
    }
}
