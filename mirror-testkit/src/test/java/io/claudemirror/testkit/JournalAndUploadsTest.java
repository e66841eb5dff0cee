package io.claudemirror.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class JournalAndUploadsTest {

    private static FakeAnthropic fake;

    @BeforeAll
    static void start() {
        fake = FakeAnthropic.start();
    }

    @AfterAll
    static void stop() {
        fake.close();
    }

    @Test
    void journalKeepsExactBytesHeadersAndQuery() throws Exception {
        byte[] body = "{\"model\":\"m\", \"messages\":[{\"role\":\"user\",\"content\":\"ünïcode \\u00e9\"}]}  \n"
                .getBytes(StandardCharsets.UTF_8);
        fake.journal().clear();
        Http.send(Http.post(fake, "/v1/messages?beta=true", "")
                .header("X-Api-Key", "sk-ant-test")
                .header("anthropic-beta", "a-1")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)));

        RecordedRequest recorded = fake.journal().await(1, Duration.ofSeconds(5));
        assertThat(recorded.method()).isEqualTo("POST");
        assertThat(recorded.path()).isEqualTo("/v1/messages");
        assertThat(recorded.rawQuery()).isEqualTo("beta=true");
        assertThat(recorded.body()).isEqualTo(body);
        assertThat(recorded.header("x-api-key")).isEqualTo("sk-ant-test");
        assertThat(recorded.headers()).extracting(Map.Entry::getKey).contains("X-Api-Key", "anthropic-beta");
        assertThat(recorded.remoteAddress()).startsWith("127.0.0.1:");
        assertThat(fake.journal().last()).isSameAs(recorded);
    }

    @Test
    void largeBodiesAreRecordedWhole() throws Exception {
        String text = "x".repeat(3 * 1024 * 1024);
        String body = Http.messageBody(text, false);
        fake.journal().clear();
        HttpResponse<String> response = Http.send(Http.post(fake, "/v1/messages/count_tokens", body));
        assertThat(Http.json(response.body()).path("input_tokens").asLong()).isEqualTo(body.length() / 4);
        assertThat(fake.journal().last().body()).hasSize(body.length());
    }

    @Test
    void multipartUploadThenContentMetadataListAndDelete() throws Exception {
        byte[] content = new byte[300];
        for (int i = 0; i < content.length; i++) {
            content[i] = (byte) i; // binary, including CR and LF bytes
        }
        String boundary = "----fakeBoundary42";
        ByteArrayOutputStream multipart = new ByteArrayOutputStream();
        multipart.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nx\r\n"
                + "--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"notes;v2.bin\"\r\n"
                + "Content-Type: application/pdf\r\n\r\n").getBytes(StandardCharsets.UTF_8));
        multipart.writeBytes(content);
        multipart.writeBytes(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));

        HttpResponse<String> uploaded = Http.send(HttpRequest.newBuilder(URI.create(fake.baseUrl() + "/v1/files"))
                .header("anthropic-version", "2023-06-01")
                .header("content-type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofByteArray(multipart.toByteArray())));
        assertThat(uploaded.statusCode()).isEqualTo(200);
        JsonNode metadata = Http.json(uploaded.body());
        String id = metadata.path("id").asText();
        assertThat(id).startsWith("file_");
        assertThat(metadata.path("type").asText()).isEqualTo("file");
        assertThat(metadata.path("filename").asText()).isEqualTo("notes;v2.bin");
        assertThat(metadata.path("mime_type").asText()).isEqualTo("application/pdf");
        assertThat(metadata.path("size_bytes").asInt()).isEqualTo(300);
        assertThat(metadata.path("downloadable").asBoolean()).isFalse();

        HttpResponse<byte[]> download = Http.CLIENT.send(Http.get(fake, "/v1/files/" + id + "/content").build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(download.body()).isEqualTo(content);
        JsonNode list = Http.json(Http.send(Http.get(fake, "/v1/files")).body());
        assertThat(list.path("first_id").asText()).isEqualTo(id);
        assertThat(list.path("has_more").asBoolean()).isFalse();
        assertThat(Http.send(Http.get(fake, "/v1/files/" + id).DELETE()).body()).contains("file_deleted");
        assertThat(Http.send(Http.get(fake, "/v1/files/" + id)).statusCode()).isEqualTo(404);
    }

    @Test
    void batchEndsAtOnceWithAbsoluteResultsUrl() throws Exception {
        String body = "{\"requests\":[{\"custom_id\":\"a\",\"params\":" + Http.messageBody("one", false) + "},"
                + "{\"custom_id\":\"b\",\"params\":" + Http.messageBody("two", false) + "}]}";
        JsonNode batch = Http.json(Http.send(Http.post(fake, "/v1/messages/batches", body)).body());
        assertThat(batch.path("processing_status").asText()).isEqualTo("ended");
        assertThat(batch.at("/request_counts/succeeded").asInt()).isEqualTo(2);
        String resultsUrl = batch.path("results_url").asText();
        assertThat(resultsUrl).isEqualTo(fake.baseUrl() + "/v1/messages/batches/" + batch.path("id").asText() + "/results");

        HttpResponse<String> results = Http.send(HttpRequest.newBuilder(URI.create(resultsUrl))
                .header("anthropic-version", "2023-06-01").header("accept", "application/binary"));
        String[] lines = results.body().split("\n");
        assertThat(lines).hasSize(2);
        JsonNode second = Http.json(lines[1]);
        assertThat(second.path("custom_id").asText()).isEqualTo("b");
        assertThat(second.at("/result/type").asText()).isEqualTo("succeeded");
        assertThat(second.at("/result/message/content/0/text").asText()).isEqualTo("two");
    }
}
