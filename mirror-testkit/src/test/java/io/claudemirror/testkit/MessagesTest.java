package io.claudemirror.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class MessagesTest {

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
    void jsonEchoesLastUserMessageWithDeterministicUsage() throws Exception {
        String body = "{\"model\":\"claude-haiku-4-5-20251001\",\"max_tokens\":10,\"messages\":["
                + "{\"role\":\"user\",\"content\":\"first\"},"
                + "{\"role\":\"assistant\",\"content\":\"ok\"},"
                + "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"héllo \"},"
                + "{\"type\":\"image\",\"source\":{}},{\"type\":\"text\",\"text\":\"wörld\"}]}]}";
        HttpResponse<String> response = Http.send(Http.post(fake, "/v1/messages?beta=true", body));

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("content-type")).hasValue("application/json");
        JsonNode message = Http.json(response.body());
        assertThat(message.path("id").asText()).matches("msg_011C[0-9A-Za-z]{20}");
        assertThat(message.path("type").asText()).isEqualTo("message");
        assertThat(message.path("role").asText()).isEqualTo("assistant");
        assertThat(message.path("model").asText()).isEqualTo("claude-haiku-4-5-20251001");
        assertThat(message.path("content").get(0).path("text").asText()).isEqualTo("héllo wörld");
        assertThat(message.path("stop_reason").asText()).isEqualTo("end_turn");
        assertThat(message.has("stop_sequence")).isTrue();
        int bodyBytes = body.getBytes(StandardCharsets.UTF_8).length;
        assertThat(message.at("/usage/input_tokens").asLong()).isEqualTo(bodyBytes / 4);
        assertThat(message.at("/usage/output_tokens").asLong())
                .isEqualTo("héllo wörld".getBytes(StandardCharsets.UTF_8).length / 4);
        assertThat(message.at("/usage/service_tier").asText()).isEqualTo("standard");

        assertThat(response.headers().firstValue("request-id").orElseThrow()).matches("req_011C[0-9A-Za-z]{20}");
        assertThat(response.headers().firstValue("anthropic-organization-id").orElseThrow()).hasSize(36);
        assertThat(response.headers().firstValue("anthropic-ratelimit-tokens-reset").orElseThrow())
                .matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ");
        assertThat(response.headers().firstValue("cf-ray").orElseThrow()).matches("[0-9a-f]{16}-NRT");
        assertThat(response.headers().firstValue("server")).hasValue("cloudflare");
    }

    @Test
    void streamsEventsInWireOrderWithSplitText() throws Exception {
        String text = "The quick brown fox 🦊 jumps";
        HttpResponse<String> response = Http.send(Http.post(fake, "/v1/messages", Http.messageBody(text, true)));

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("content-type")).hasValue("text/event-stream; charset=utf-8");
        List<Http.Event> events = Http.events(response.body());
        List<Http.Event> deltas = events.stream()
                .filter(e -> e.name().equals("content_block_delta")).collect(Collectors.toList());
        assertThat(Http.names(events)).startsWith("message_start", "content_block_start", "ping")
                .endsWith("content_block_stop", "message_delta", "message_stop");
        assertThat(events).hasSize(3 + deltas.size() + 3);
        for (Http.Event event : events) {
            assertThat(event.data().path("type").asText()).isEqualTo(event.name());
        }
        assertThat(events.get(2).rawData()).isEqualTo("{\"type\": \"ping\"}");
        assertThat(deltas).allSatisfy(d -> assertThat(d.data().at("/delta/text").asText().length()).isLessThanOrEqualTo(7));
        assertThat(deltas.stream().map(d -> d.data().at("/delta/text").asText()).collect(Collectors.joining()))
                .isEqualTo(text);

        JsonNode start = events.get(0).data().path("message");
        long inputTokens = Http.messageBody(text, true).getBytes(StandardCharsets.UTF_8).length / 4;
        assertThat(start.at("/usage/input_tokens").asLong()).isEqualTo(inputTokens);
        assertThat(start.at("/usage/output_tokens").asLong()).isEqualTo(1);
        assertThat(start.path("content")).isEmpty();
        JsonNode messageDelta = events.get(events.size() - 2).data();
        assertThat(messageDelta.at("/delta/stop_reason").asText()).isEqualTo("end_turn");
        assertThat(messageDelta.at("/usage/input_tokens").asLong()).isEqualTo(inputTokens);
        assertThat(messageDelta.at("/usage/output_tokens").asLong())
                .isEqualTo(text.getBytes(StandardCharsets.UTF_8).length / 4);
    }

    @Test
    void toolUseStreamsInputJsonInPiecesAfterThinking() throws Exception {
        String body = "{\"model\":\"m\",\"max_tokens\":99,\"stream\":true,"
                + "\"thinking\":{\"type\":\"adaptive\"},"
                + "\"tools\":[{\"name\":\"get_weather\",\"input_schema\":{\"type\":\"object\"}},{\"name\":\"other\"}],"
                + "\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"tool_result\",\"tool_use_id\":\"t\","
                + "\"content\":\"say \\\"hi\\\"\"}]}]}";
        List<Http.Event> events = Http.events(Http.send(Http.post(fake, "/v1/messages", body)).body());

        assertThat(events.get(1).data().at("/content_block/type").asText()).isEqualTo("thinking");
        assertThat(events.get(2).name()).isEqualTo("ping");
        assertThat(events.get(3).data().at("/delta/thinking").asText()).isEqualTo("Let me think.");
        assertThat(events.get(4).data().at("/delta/type").asText()).isEqualTo("signature_delta");
        Http.Event toolStart = events.get(6);
        assertThat(toolStart.data().path("index").asInt()).isEqualTo(1);
        assertThat(toolStart.data().at("/content_block/name").asText()).isEqualTo("get_weather");
        assertThat(toolStart.data().at("/content_block/id").asText()).startsWith("toolu_01");
        List<String> pieces = events.stream()
                .filter(e -> e.data().at("/delta/type").asText().equals("input_json_delta"))
                .map(e -> e.data().at("/delta/partial_json").asText()).collect(Collectors.toList());
        assertThat(pieces.get(0)).isEmpty();
        String inputJson = String.join("", pieces);
        assertThat(inputJson).isEqualTo("{\"text\": \"say \\\"hi\\\"\"}");
        assertThat(Http.json(inputJson).path("text").asText()).isEqualTo("say \"hi\"");
        assertThat(pieces.subList(1, pieces.size())).allSatisfy(p -> assertThat(p).hasSizeLessThanOrEqualTo(6));
        JsonNode messageDelta = events.get(events.size() - 2).data();
        assertThat(messageDelta.at("/delta/stop_reason").asText()).isEqualTo("tool_use");
        assertThat(messageDelta.at("/usage/output_tokens").asLong()).isEqualTo(inputJson.length() / 4);
    }

    @Test
    void countTokensUsesTheSameFormula() throws Exception {
        String body = Http.messageBody("count me please", false);
        HttpResponse<String> response = Http.send(Http.post(fake, "/v1/messages/count_tokens?beta=true", body));
        assertThat(Http.json(response.body()).path("input_tokens").asLong()).isEqualTo(body.length() / 4);
    }

    @Test
    void modelsListAndRetrieve() throws Exception {
        JsonNode list = Http.json(Http.send(Http.get(fake, "/v1/models")).body());
        assertThat(list.path("data")).hasSize(3);
        assertThat(list.path("has_more").asBoolean()).isFalse();
        assertThat(list.path("first_id").asText()).isEqualTo("claude-opus-4-6");
        assertThat(list.path("last_id").asText()).isEqualTo("claude-haiku-4-5-20251001");
        HttpResponse<String> missing = Http.send(Http.get(fake, "/v1/models/claude-2"));
        assertThat(missing.statusCode()).isEqualTo(404);
        assertThat(Http.json(missing.body()).at("/error/type").asText()).isEqualTo("not_found_error");
    }

    @Test
    void unknownPathAndMissingVersionGetTheRealEnvelope() throws Exception {
        HttpResponse<String> unknown = Http.send(Http.get(fake, "/v1/nothing/here"));
        assertThat(unknown.statusCode()).isEqualTo(404);
        JsonNode envelope = Http.json(unknown.body());
        assertThat(envelope.path("type").asText()).isEqualTo("error");
        assertThat(envelope.at("/error/message").asText()).isEqualTo("Not found");
        assertThat(envelope.path("request_id").asText())
                .isEqualTo(unknown.headers().firstValue("request-id").orElseThrow());

        HttpResponse<String> noVersion = Http.CLIENT.send(java.net.http.HttpRequest.newBuilder(
                java.net.URI.create(fake.baseUrl() + "/v1/models")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(noVersion.statusCode()).isEqualTo(400);
        assertThat(Http.json(noVersion.body()).at("/error/type").asText()).isEqualTo("invalid_request_error");
    }
}
