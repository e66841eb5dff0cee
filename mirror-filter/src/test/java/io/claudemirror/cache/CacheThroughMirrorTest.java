package io.claudemirror.cache;

import static org.assertj.core.api.Assertions.assertThat;

import com.anthropic.client.AnthropicClient;
import com.anthropic.client.okhttp.AnthropicOkHttpClient;
import com.anthropic.core.http.StreamResponse;
import com.anthropic.helpers.MessageAccumulator;
import com.anthropic.models.messages.Message;
import com.anthropic.models.messages.MessageCreateParams;
import com.anthropic.models.messages.RawMessageStreamEvent;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.claudemirror.config.MirrorConfig;
import io.claudemirror.config.MirrorConfigBuilder;
import io.claudemirror.pii.PiiScanner;
import io.claudemirror.support.Http;
import io.claudemirror.support.MirrorServer;
import io.claudemirror.support.MirrorServer.Container;
import io.claudemirror.support.RawClient;
import io.claudemirror.testkit.FakeAnthropic;
import io.claudemirror.testkit.Fault;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The response cache in the whole mirror on Jetty and Tomcat, against the fake upstream: what reaches the
 * upstream is read from the fake's journal, what the client gets from real HTTP and the official SDK.
 */
class CacheThroughMirrorTest {
    static final String KEY = "sk-cache-a";
    static final String KEY_B = "sk-cache-b";
    static final String PHONE = "13800138000";
    static final ObjectMapper JSON = new ObjectMapper();

    FakeAnthropic fake;
    MirrorServer mirror;

    @TempDir
    Path disk;

    void start(Container container, UnaryOperator<MirrorConfigBuilder> extra) throws Exception {
        start(container, extra, ctx -> { });
    }

    void start(Container container, UnaryOperator<MirrorConfigBuilder> extra,
               java.util.function.Consumer<jakarta.servlet.ServletContext> host) throws Exception {
        if (fake == null) {
            fake = FakeAnthropic.start();
        }
        MirrorConfigBuilder b = MirrorConfig.builder().upstream("primary", fake.baseUrl(), "sk-up")
                .tenant("a", "plain:" + KEY).tenant("b", "plain:" + KEY_B).set("cache.enabled", "true");
        mirror = MirrorServer.start(container, extra.apply(b).build(), host);
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

    HttpResponse<String> post(String key, String body, String... headers) throws Exception {
        var req = Http.post(mirror.baseUrl() + "/v1/messages", key, body);
        for (int i = 0; i < headers.length; i += 2) {
            req.header(headers[i], headers[i + 1]);
        }
        return Http.send(req);
    }

    int upstreamCalls() {
        return fake.journal().size();
    }

    static String deterministic(String text, boolean stream) {
        return "{\"model\":\"claude-sonnet-4-5-20250929\",\"max_tokens\":256,\"temperature\":0,\"stream\":" + stream
                + ",\"messages\":[{\"role\":\"user\",\"content\":\"" + text + "\"}]}";
    }

    @ParameterizedTest
    @EnumSource(Container.class)
    void aJsonAnswerIsServedFromTheCacheTheSecondTime(Container container) throws Exception {
        start(container, b -> b);
        HttpResponse<String> miss = post(KEY, deterministic("hello cache", false));
        HttpResponse<String> hit = post(KEY, deterministic("hello cache", false));
        assertThat(miss.headers().firstValue("x-mirror-cache")).contains("MISS");
        assertThat(hit.statusCode()).isEqualTo(200);
        assertThat(hit.headers().firstValue("x-mirror-cache")).contains("HIT");
        assertThat(hit.headers().firstValue("age")).isPresent();
        assertThat(hit.headers().firstValue("request-id")).isPresent()
                .isNotEqualTo(miss.headers().firstValue("request-id"));
        assertThat(hit.headers().firstValue("anthropic-ratelimit-requests-remaining")).isEmpty();
        assertThat(JSON.readTree(hit.body())).isEqualTo(JSON.readTree(miss.body()));
        assertThat(upstreamCalls()).isEqualTo(1);
    }

    @ParameterizedTest
    @EnumSource(Container.class)
    void aStreamIsReplayedAsTheSameStreamAndTheSdkReadsTheSameMessage(Container container) throws Exception {
        start(container, b -> b);
        AnthropicClient sdk = AnthropicOkHttpClient.builder().baseUrl(mirror.baseUrl()).apiKey(KEY)
                .putHeader("x-mirror-cache", "use").maxRetries(0).build();
        MessageCreateParams params = MessageCreateParams.builder().model("claude-sonnet-4-5-20250929").maxTokens(256)
                .addUserMessage("stream me from the cache, please").build();
        Message first = streamed(sdk, params);
        Message second = streamed(sdk, params);
        assertThat(second).isEqualTo(first);
        assertThat(upstreamCalls()).isEqualTo(1);
        // The same request as plain JSON is served from the stream entry, assembled.
        Message json = sdk.messages().create(params);
        assertThat(json.id()).isEqualTo(first.id());
        assertThat(json.content()).isEqualTo(first.content());
        assertThat(json.stopReason()).isEqualTo(first.stopReason());
        assertThat(json.usage().outputTokens()).isEqualTo(first.usage().outputTokens());
        assertThat(upstreamCalls()).isEqualTo(1);
    }

    static Message streamed(AnthropicClient sdk, MessageCreateParams params) {
        MessageAccumulator acc = MessageAccumulator.create();
        try (StreamResponse<RawMessageStreamEvent> stream = sdk.messages().createStreaming(params)) {
            stream.stream().forEach(acc::accumulate);
        }
        return acc.message();
    }

    @ParameterizedTest
    @EnumSource(Container.class)
    void aJsonEntryServesAStreamingRequestAsValidEvents(Container container) throws Exception {
        start(container, b -> b);
        String thinkingTools = "{\"model\":\"claude-sonnet-4-5-20250929\",\"max_tokens\":2048,\"temperature\":0,"
                + "\"thinking\":{\"type\":\"enabled\",\"budget_tokens\":1024},"
                + "\"tools\":[{\"name\":\"note\",\"input_schema\":{\"type\":\"object\"}}],"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"note this down\"}]}";
        JsonNode message = JSON.readTree(post(KEY, thinkingTools).body());
        // This SDK generation has no temperature: it asks for the cache with the header instead.
        AnthropicClient sdk = AnthropicOkHttpClient.builder().baseUrl(mirror.baseUrl()).apiKey(KEY)
                .putHeader("x-mirror-cache", "use").maxRetries(0).build();
        MessageCreateParams params = MessageCreateParams.builder()
                .model("claude-sonnet-4-5-20250929").maxTokens(2048)
                .thinking(com.anthropic.models.messages.ThinkingConfigEnabled.builder().budgetTokens(1024).build())
                .addTool(com.anthropic.models.messages.Tool.builder().name("note")
                        .inputSchema(com.anthropic.models.messages.Tool.InputSchema.builder().build()).build())
                .addUserMessage("note this down").build();
        // The SDK serialises its own body: prime its key too, then stream it from a JSON entry.
        Message json = sdk.messages().create(params);
        Message fromStream = streamed(sdk, params);
        assertThat(fromStream.content()).isEqualTo(json.content());
        assertThat(fromStream.stopReason()).isEqualTo(json.stopReason());
        assertThat(fromStream.usage().outputTokens()).isEqualTo(json.usage().outputTokens());
        assertThat(message.at("/content/0/type").asText()).isEqualTo("thinking");
        assertThat(json.content().stream().anyMatch(c -> c.isThinking())).isTrue();
        assertThat(json.content().stream().anyMatch(c -> c.isToolUse())).isTrue();
        assertThat(upstreamCalls()).isEqualTo(2);
    }

    @ParameterizedTest
    @EnumSource(Container.class)
    void tenantsNeverShareAnEntryUnlessTheCacheIsShared(Container container) throws Exception {
        start(container, b -> b);
        post(KEY, deterministic("same words", false));
        HttpResponse<String> other = post(KEY_B, deterministic("same words", false));
        assertThat(other.headers().firstValue("x-mirror-cache")).contains("MISS");
        assertThat(upstreamCalls()).isEqualTo(2);
        mirror.close();

        start(container, b -> b.set("cache.shared", "true"));
        post(KEY, deterministic("shared words", false));
        HttpResponse<String> shared = post(KEY_B, deterministic("shared words", false));
        assertThat(shared.headers().firstValue("x-mirror-cache")).contains("HIT");
        assertThat(upstreamCalls()).isEqualTo(3);
    }

    @ParameterizedTest
    @EnumSource(Container.class)
    void clientControlsAndTheMessagesSetting(Container container) throws Exception {
        start(container, b -> b);
        String body = deterministic("controlled", false);
        assertThat(post(KEY, body, "cache-control", "no-store").headers().firstValue("x-mirror-cache"))
                .contains("BYPASS");
        assertThat(post(KEY, body, "x-mirror-cache", "bypass").headers().firstValue("x-mirror-cache"))
                .contains("BYPASS");
        assertThat(post(KEY, body).headers().firstValue("x-mirror-cache")).as("nothing was stored").contains("MISS");
        assertThat(post(KEY, body, "cache-control", "no-cache").headers().firstValue("x-mirror-cache"))
                .contains("BYPASS");
        assertThat(upstreamCalls()).isEqualTo(4);
        assertThat(fake.journal().all()).allSatisfy(r -> assertThat(r.header("x-mirror-cache")).isNull());
        assertThat(post(KEY, body).headers().firstValue("x-mirror-cache")).contains("HIT");
        // Without temperature 0 or the header, a deterministic-mode cache leaves Messages alone.
        HttpResponse<String> plain = post(KEY, Http.messages("not asked for", false));
        assertThat(plain.headers().firstValue("x-mirror-cache")).isEmpty();
        assertThat(upstreamCalls()).isEqualTo(5);
    }

    @ParameterizedTest
    @EnumSource(Container.class)
    void modelsAndCountTokensAreCached(Container container) throws Exception {
        start(container, b -> b);
        var models = java.net.http.HttpRequest.newBuilder(java.net.URI.create(mirror.baseUrl() + "/v1/models"))
                .header("x-api-key", KEY).header("anthropic-version", "2023-06-01");
        Http.send(models);
        HttpResponse<String> again = Http.send(models);
        assertThat(again.headers().firstValue("x-mirror-cache")).contains("HIT");
        String count = "{\"model\":\"claude-sonnet-4-5-20250929\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}";
        Http.send(Http.post(mirror.baseUrl() + "/v1/messages/count_tokens", KEY, count));
        HttpResponse<String> counted = Http.send(Http.post(mirror.baseUrl() + "/v1/messages/count_tokens", KEY, count));
        assertThat(counted.headers().firstValue("x-mirror-cache")).contains("HIT");
        assertThat(upstreamCalls()).isEqualTo(2);
    }

    @ParameterizedTest
    @EnumSource(Container.class)
    void errorsBrokenStreamsAndAbortedStreamsAreNeverStored(Container container) throws Exception {
        start(container, b -> b.set("cache.messages", "all"));
        String body = Http.messages("never keep a failure", true);
        fake.enqueue(Fault.status(429, "rate_limit_error", "slow down"));
        fake.enqueue(Fault.status(500, "api_error", "boom"));
        fake.enqueue(Fault.status(529, "overloaded_error", "Overloaded"));
        fake.enqueue(Fault.midStreamError(4, "overloaded_error"));
        fake.enqueue(Fault.dropMidStream(4));
        assertThat(post(KEY, body).statusCode()).isEqualTo(429);
        assertThat(post(KEY, body).statusCode()).isEqualTo(500);
        assertThat(post(KEY, body).statusCode()).isEqualTo(529);
        assertThat(post(KEY, body).body()).contains("event: error");
        post(KEY, body); // cut after four events
        fake.eventDelay(java.time.Duration.ofMillis(100));
        try (RawClient client = RawClient.postMessages(mirror.port(), KEY, body.getBytes(StandardCharsets.UTF_8))) {
            assertThat(client.readEvents(3)).isEqualTo(3);
        }
        assertThat(fake.awaitClientAbort(java.time.Duration.ofSeconds(5))).isTrue();
        fake.eventDelay(java.time.Duration.ZERO);
        int before = upstreamCalls();
        HttpResponse<String> fresh = post(KEY, body);
        assertThat(fresh.headers().firstValue("x-mirror-cache")).contains("MISS");
        assertThat(fresh.body()).endsWith("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n");
        assertThat(upstreamCalls()).isEqualTo(before + 1).isEqualTo(7);
        assertThat(post(KEY, body).headers().firstValue("x-mirror-cache")).contains("HIT");
    }

    @ParameterizedTest
    @EnumSource(Container.class)
    void theDiskTierSurvivesARestart(Container container) throws Exception {
        UnaryOperator<MirrorConfigBuilder> onDisk = b -> b.set("cache.diskDir", disk.toString());
        start(container, onDisk);
        String first = post(KEY, deterministic("remember me across restarts", true)).body();
        mirror.close();
        start(container, onDisk);
        HttpResponse<String> after = post(KEY, deterministic("remember me across restarts", true));
        assertThat(after.headers().firstValue("x-mirror-cache")).contains("HIT");
        assertThat(after.body()).isEqualTo(first);
        assertThat(upstreamCalls()).isEqualTo(1);
    }

    @ParameterizedTest
    @EnumSource(Container.class)
    void inRedactModeTheDiskHoldsNoRawValueAndAHitRestoresIt(Container container) throws Exception {
        UnaryOperator<MirrorConfigBuilder> redact = b -> b.set("pii.mode", "redact")
                .set("cache.diskDir", disk.toString());
        // Placeholders are keyed: across a restart they (and so the cache keys) stay the same only with a fixed key.
        byte[] placeholderKey = "a fixed placeholder key for tests".getBytes(StandardCharsets.UTF_8);
        java.util.function.Consumer<jakarta.servlet.ServletContext> host = ctx -> ctx.setAttribute(
                PiiScanner.ATTRIBUTE, PiiScanner.builder().placeholderKey(placeholderKey).build());
        start(container, redact, host);
        String text = "call me at " + PHONE + " tomorrow";
        HttpResponse<String> miss = post(KEY, deterministic(text, false));
        assertThat(fake.journal().last().bodyText()).doesNotContain(PHONE);
        HttpResponse<String> hit = post(KEY, deterministic(text, true));
        assertThat(hit.headers().firstValue("x-mirror-cache")).contains("HIT");
        assertThat(JSON.readTree(miss.body()).at("/content/0/text").asText()).isEqualTo(text);
        assertThat(hit.body()).contains(PHONE);
        mirror.close(); // the disk tier is complete once closed
        assertThat(filesUnder(disk)).isNotEmpty().allSatisfy(f ->
                assertThat(new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1)).doesNotContain(PHONE));
        start(container, redact, host);
        HttpResponse<String> afterRestart = post(KEY, deterministic(text, false));
        assertThat(afterRestart.headers().firstValue("x-mirror-cache")).contains("HIT");
        assertThat(JSON.readTree(afterRestart.body()).at("/content/0/text").asText()).isEqualTo(text);
        assertThat(upstreamCalls()).isEqualTo(1);
    }

    static List<Path> filesUnder(Path dir) throws Exception {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).toList();
        }
    }
}
