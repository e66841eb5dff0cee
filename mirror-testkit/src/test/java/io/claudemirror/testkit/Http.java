package io.claudemirror.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Test helpers: a plain HTTP/1.1 client and an SSE splitter. */
final class Http {

    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient CLIENT = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();

    record Event(String name, JsonNode data, String rawData) { }

    private Http() {
    }

    static HttpRequest.Builder post(FakeAnthropic fake, String pathAndQuery, String json) {
        return HttpRequest.newBuilder(URI.create(fake.baseUrl() + pathAndQuery))
                .timeout(Duration.ofSeconds(10))
                .header("anthropic-version", "2023-06-01")
                .header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json));
    }

    static HttpRequest.Builder get(FakeAnthropic fake, String pathAndQuery) {
        return HttpRequest.newBuilder(URI.create(fake.baseUrl() + pathAndQuery))
                .timeout(Duration.ofSeconds(10))
                .header("anthropic-version", "2023-06-01")
                .GET();
    }

    static HttpResponse<String> send(HttpRequest.Builder request) throws IOException, InterruptedException {
        return CLIENT.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    static JsonNode json(String text) throws IOException {
        return JSON.readTree(text);
    }

    /** Splits an SSE body into events; fails on anything that is not {@code event:} + one {@code data:} line. */
    static List<Event> events(String body) throws IOException {
        List<Event> events = new ArrayList<>();
        for (String block : body.split("\n\n")) {
            if (block.isEmpty()) {
                continue;
            }
            String[] lines = block.split("\n");
            if (lines.length != 2 || !lines[0].startsWith("event: ") || !lines[1].startsWith("data: ")) {
                throw new AssertionError("malformed SSE event: " + block);
            }
            String data = lines[1].substring("data: ".length());
            events.add(new Event(lines[0].substring("event: ".length()), JSON.readTree(data), data));
        }
        return events;
    }

    static List<String> names(List<Event> events) {
        List<String> names = new ArrayList<>();
        for (Event e : events) {
            names.add(e.name());
        }
        return names;
    }

    static String messageBody(String userText, boolean stream) {
        return "{\"model\":\"claude-opus-4-6\",\"max_tokens\":64,\"stream\":" + stream
                + ",\"messages\":[{\"role\":\"user\",\"content\":" + JSON.getNodeFactory().textNode(userText) + "}]}";
    }
}
