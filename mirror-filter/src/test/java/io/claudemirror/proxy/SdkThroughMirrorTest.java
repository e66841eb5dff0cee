package io.claudemirror.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.anthropic.client.AnthropicClient;
import com.anthropic.client.okhttp.AnthropicOkHttpClient;
import com.anthropic.core.JsonValue;
import com.anthropic.core.http.StreamResponse;
import com.anthropic.helpers.MessageAccumulator;
import com.anthropic.models.messages.Message;
import com.anthropic.models.messages.MessageCountTokensParams;
import com.anthropic.models.messages.MessageCreateParams;
import com.anthropic.models.messages.MessageTokensCount;
import com.anthropic.models.messages.RawMessageStreamEvent;
import com.anthropic.models.messages.Tool;
import com.anthropic.models.messages.batches.BatchCreateParams;
import com.anthropic.models.messages.batches.MessageBatch;
import com.anthropic.models.messages.batches.MessageBatchIndividualResponse;
import com.anthropic.models.models.ModelInfo;
import io.claudemirror.config.MirrorConfig;
import io.claudemirror.support.MirrorServer;
import io.claudemirror.support.MirrorServer.Container;
import io.claudemirror.testkit.FakeAnthropic;
import io.claudemirror.testkit.RecordedRequest;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The official Java SDK, pointed at the mirror by base URL, must not notice it is not talking to Anthropic. */
class SdkThroughMirrorTest {
    static final String MIRROR_KEY = "sk-mirror-test-key";
    static final String UPSTREAM_KEY = "sk-ant-upstream-secret-0001";
    static final String MODEL = "claude-sonnet-4-5-20250929";

    FakeAnthropic fake;
    MirrorServer mirror;

    void start(Container container) throws Exception {
        fake = FakeAnthropic.start().requireApiKey(UPSTREAM_KEY);
        MirrorConfig config = MirrorConfig.builder()
                .upstream("primary", fake.baseUrl(), UPSTREAM_KEY)
                .tenant("team-a", "plain:" + MIRROR_KEY)
                .set("mountPath", "/claude")
                .build();
        mirror = MirrorServer.start(container, config);
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

    AnthropicClient bearerClient() {
        // The 2026-10 SDK generation sends the key as Authorization: Bearer.
        return AnthropicOkHttpClient.builder().baseUrl(mirror.baseUrl()).apiKey(MIRROR_KEY).maxRetries(0).build();
    }

    AnthropicClient xApiKeyClient() {
        // Claude Code style: x-api-key (the SDK adds no Authorization when one is present).
        return AnthropicOkHttpClient.builder().baseUrl(mirror.baseUrl()).apiKey(MIRROR_KEY)
                .putHeader("x-api-key", MIRROR_KEY).putHeader("anthropic-version", "2023-06-01").maxRetries(0).build();
    }

    static MessageCreateParams hello(String text) {
        return MessageCreateParams.builder().model(MODEL).maxTokens(256).addUserMessage(text).build();
    }

    @ParameterizedTest
    @EnumSource(Container.class)
    void createWithBearerAndWithXApiKey(Container container) throws Exception {
        start(container);
        Message m1 = bearerClient().messages().create(hello("Hello, mirror"));
        assertThat(m1.content().get(0).text().orElseThrow().text()).isEqualTo("Hello, mirror");
        RecordedRequest r1 = fake.journal().last();
        assertThat(r1.header("x-api-key")).isEqualTo(UPSTREAM_KEY);
        assertThat(r1.header("authorization")).isNull();

        Message m2 = xApiKeyClient().messages().create(hello("你好，镜像"));
        assertThat(m2.content().get(0).text().orElseThrow().text()).isEqualTo("你好，镜像");
        assertThat(m2.usage().outputTokens()).isPositive();
        RecordedRequest r2 = fake.journal().last();
        assertThat(r2.header("x-api-key")).isEqualTo(UPSTREAM_KEY);
        assertThat(r2.header("anthropic-version")).isEqualTo("2023-06-01");
    }

    @ParameterizedTest
    @EnumSource(Container.class)
    void streamedTextEqualsTheFakes(Container container) throws Exception {
        start(container);
        String text = "A longer reply so that the fake splits it into many text_delta events: 一二三四五六七八九十.";
        MessageAccumulator acc = MessageAccumulator.create();
        int events = 0;
        try (StreamResponse<RawMessageStreamEvent> stream = bearerClient().messages().createStreaming(hello(text))) {
            for (RawMessageStreamEvent e : (Iterable<RawMessageStreamEvent>) stream.stream()::iterator) {
                acc.accumulate(e);
                events++;
            }
        }
        Message message = acc.message();
        assertThat(message.content().get(0).text().orElseThrow().text()).isEqualTo(text);
        assertThat(events).isGreaterThan(10);
        assertThat(message.usage().outputTokens()).isEqualTo(Math.max(1, text.getBytes("UTF-8").length / 4));
    }

    @ParameterizedTest
    @EnumSource(Container.class)
    void toolUseStream(Container container) throws Exception {
        start(container);
        MessageCreateParams params = MessageCreateParams.builder().model(MODEL).maxTokens(256)
                .addUserMessage("What is the weather in \"Paris\"?")
                .addTool(Tool.builder().name("get_weather")
                        .inputSchema(Tool.InputSchema.builder()
                                .properties(JsonValue.from(Map.of("text", Map.of("type", "string"))))
                                .build())
                        .build())
                .build();
        MessageAccumulator acc = MessageAccumulator.create();
        try (StreamResponse<RawMessageStreamEvent> stream = xApiKeyClient().messages().createStreaming(params)) {
            stream.stream().forEach(acc::accumulate);
        }
        Message message = acc.message();
        var toolUse = message.content().stream().filter(b -> b.isToolUse()).findFirst().orElseThrow().asToolUse();
        assertThat(toolUse.name()).isEqualTo("get_weather");
        assertThat(toolUse._input().toString()).isEqualTo("{text=What is the weather in \"Paris\"?}");
        assertThat(message.stopReason().orElseThrow().asString()).isEqualTo("tool_use");
    }

    @ParameterizedTest
    @EnumSource(Container.class)
    void countTokensAndModels(Container container) throws Exception {
        start(container);
        AnthropicClient client = bearerClient();
        MessageTokensCount count = client.messages().countTokens(MessageCountTokensParams.builder()
                .model(MODEL).addUserMessage("count me").build());
        assertThat(count.inputTokens()).isPositive();
        assertThat(fake.journal().last().path()).isEqualTo("/v1/messages/count_tokens");

        List<String> ids = client.models().list().data().stream().map(ModelInfo::id).collect(Collectors.toList());
        assertThat(ids).contains(MODEL);
        assertThat(client.models().retrieve(MODEL).id()).isEqualTo(MODEL);
    }

    @ParameterizedTest
    @EnumSource(Container.class)
    void batchResultsComeThroughTheRewrittenUrl(Container container) throws Exception {
        start(container);
        AnthropicClient client = bearerClient();
        MessageBatch batch = client.messages().batches().create(BatchCreateParams.builder()
                .addRequest(BatchCreateParams.Request.builder().customId("one")
                        .params(BatchCreateParams.Request.Params.builder().model(MODEL).maxTokens(64)
                                .addUserMessage("batched hello").build())
                        .build())
                .build());
        String resultsUrl = batch.resultsUrl().orElseThrow();
        assertThat(resultsUrl).isEqualTo(mirror.baseUrl() + "/v1/messages/batches/" + batch.id() + "/results");
        MessageBatch again = client.messages().batches().retrieve(batch.id());
        assertThat(again.resultsUrl().orElseThrow()).startsWith(mirror.baseUrl());

        // The TS and Python SDKs GET the absolute results_url with their normal credentials: do exactly that.
        HttpResponse<String> results = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(resultsUrl))
                .header("Authorization", "Bearer " + MIRROR_KEY).header("anthropic-version", "2023-06-01")
                .header("Accept", "application/binary").build(), HttpResponse.BodyHandlers.ofString());
        assertThat(results.statusCode()).isEqualTo(200);
        assertThat(results.body()).contains("\"custom_id\":\"one\"").contains("batched hello");

        // The Java SDK builds the results path itself; it must work too.
        try (StreamResponse<MessageBatchIndividualResponse> rs = client.messages().batches().resultsStreaming(batch.id())) {
            List<MessageBatchIndividualResponse> all = rs.stream().collect(Collectors.toList());
            assertThat(all).hasSize(1);
            assertThat(all.get(0).customId()).isEqualTo("one");
        }
    }
}
