package io.claudemirror.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import com.anthropic.client.AnthropicClient;
import com.anthropic.client.okhttp.AnthropicOkHttpClient;
import com.anthropic.core.http.StreamResponse;
import com.anthropic.helpers.MessageAccumulator;
import com.anthropic.models.files.FileMetadata;
import com.anthropic.models.files.FileUploadParams;
import com.anthropic.models.messages.Message;
import com.anthropic.models.messages.MessageCreateParams;
import com.anthropic.models.messages.RawMessageStreamEvent;
import com.anthropic.models.messages.batches.BatchCreateParams;
import com.anthropic.models.messages.batches.MessageBatch;
import com.anthropic.models.messages.batches.MessageBatchIndividualResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The official Java SDK (3.14.0) must parse everything the fake sends, with strict response validation. */
class OfficialSdkTest {

    private static FakeAnthropic fake;
    private static AnthropicClient client;

    @BeforeAll
    static void start() {
        fake = FakeAnthropic.start().requireApiKey("sk-ant-test");
        client = AnthropicOkHttpClient.builder()
                .baseUrl(fake.baseUrl())
                .apiKey("sk-ant-test")
                .maxRetries(0)
                .responseValidation(true)
                .build();
    }

    @AfterAll
    static void stop() {
        client.close();
        fake.close();
    }

    private static MessageCreateParams params(String text) {
        return MessageCreateParams.builder().model("claude-opus-4-6").maxTokens(64).addUserMessage(text).build();
    }

    @Test
    void messagesJsonAndStream() {
        Message message = client.messages().create(params("plain json"));
        assertThat(message.content().get(0).asText().text()).isEqualTo("plain json");

        MessageAccumulator accumulator = MessageAccumulator.create();
        try (StreamResponse<RawMessageStreamEvent> stream = client.messages().createStreaming(params("streamed text"))) {
            stream.stream().forEach(accumulator::accumulate);
        }
        Message streamed = accumulator.message();
        assertThat(streamed.content().get(0).asText().text()).isEqualTo("streamed text");
        assertThat(streamed.usage().outputTokens()).isEqualTo("streamed text".length() / 4);
    }

    @Test
    void batchesAndResultsThroughAbsoluteUrl() {
        MessageBatch batch = client.messages().batches().create(BatchCreateParams.builder()
                .addRequest(BatchCreateParams.Request.builder().customId("first")
                        .params(BatchCreateParams.Request.Params.builder()
                                .model("claude-haiku-4-5-20251001").maxTokens(16).addUserMessage("batched").build())
                        .build())
                .build());
        assertThat(batch.processingStatus()).isEqualTo(MessageBatch.ProcessingStatus.ENDED);
        assertThat(client.messages().batches().retrieve(batch.id()).resultsUrl().orElseThrow())
                .startsWith(fake.baseUrl() + "/v1/messages/batches/");

        List<MessageBatchIndividualResponse> results = new ArrayList<>();
        try (StreamResponse<MessageBatchIndividualResponse> stream =
                     client.messages().batches().resultsStreaming(batch.id())) {
            stream.stream().forEach(results::add);
        }
        assertThat(results).hasSize(1);
        assertThat(results.get(0).customId()).isEqualTo("first");
        assertThat(results.get(0).result().succeeded().orElseThrow().message().content().get(0).asText().text())
                .isEqualTo("batched");
        assertThat(client.messages().batches().list().data()).extracting(MessageBatch::id).contains(batch.id());
    }

    @Test
    void filesAndModels() {
        FileMetadata uploaded = client.files().upload(FileUploadParams.builder()
                .file("some bytes".getBytes(StandardCharsets.UTF_8)).build());
        assertThat(uploaded.id()).startsWith("file_");
        assertThat(uploaded.sizeBytes()).isEqualTo(10);
        assertThat(client.files().retrieveMetadata(uploaded.id()).filename()).isEqualTo(uploaded.filename());
        assertThat(client.files().list().data()).extracting(FileMetadata::id).contains(uploaded.id());
        assertThat(client.files().delete(uploaded.id()).id()).isEqualTo(uploaded.id());
        assertThat(client.models().list().data()).hasSize(3);

        RecordedRequest upload = fake.journal().all().stream()
                .filter(r -> r.path().equals("/v1/files") && r.method().equals("POST")).findFirst().orElseThrow();
        assertThat(upload.header("content-type")).startsWith("multipart/form-data");
    }
}
