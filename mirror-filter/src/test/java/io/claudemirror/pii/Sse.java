package io.claudemirror.pii;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Builds Messages streams the way the API sends them, and reads them back the way an SDK does. */
final class Sse {
    static final ObjectMapper JSON = new ObjectMapper();

    private final StringBuilder sb = new StringBuilder();

    Sse event(String name, ObjectNode data) {
        sb.append("event: ").append(name).append('\n').append("data: ").append(data.toString()).append("\n\n");
        return this;
    }

    Sse start() {
        return event("message_start", obj("{\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\","
                + "\"role\":\"assistant\",\"content\":[],\"model\":\"claude\",\"stop_reason\":null,"
                + "\"usage\":{\"input_tokens\":9,\"output_tokens\":1}}}"));
    }

    Sse blockStart(int index, String block) {
        return event("content_block_start", obj("{\"type\":\"content_block_start\",\"index\":" + index
                + ",\"content_block\":" + block + "}"));
    }

    Sse delta(int index, String type, String field, String value) {
        ObjectNode d = JSON.createObjectNode();
        d.put("type", type);
        d.put(field, value);
        ObjectNode e = JSON.createObjectNode();
        e.put("type", "content_block_delta");
        e.put("index", index);
        e.set("delta", d);
        return event("content_block_delta", e);
    }

    /** {@code text} as text_delta events of {@code size} chars each. */
    Sse text(int index, String text, int size) {
        blockStart(index, "{\"type\":\"text\",\"text\":\"\"}");
        for (int i = 0; i < text.length(); i += size) {
            delta(index, "text_delta", "text", text.substring(i, Math.min(text.length(), i + size)));
        }
        return stop(index);
    }

    /** A tool_use block whose input JSON arrives as input_json_delta pieces of {@code size} chars. */
    Sse toolUse(int index, String inputJson, int size) {
        blockStart(index, "{\"type\":\"tool_use\",\"id\":\"toolu_1\",\"name\":\"echo\",\"input\":{}}");
        delta(index, "input_json_delta", "partial_json", "");
        for (int i = 0; i < inputJson.length(); i += size) {
            delta(index, "input_json_delta", "partial_json", inputJson.substring(i, Math.min(inputJson.length(), i + size)));
        }
        return stop(index);
    }

    Sse ping() {
        sb.append("event: ping\ndata: {\"type\": \"ping\"}\n\n");
        return this;
    }

    Sse stop(int index) {
        return event("content_block_stop", obj("{\"type\":\"content_block_stop\",\"index\":" + index + "}"));
    }

    Sse end() {
        event("message_delta", obj("{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\","
                + "\"stop_sequence\":null},\"usage\":{\"output_tokens\":5}}"));
        return event("message_stop", obj("{\"type\":\"message_stop\"}"));
    }

    String build() {
        return sb.toString();
    }

    static ObjectNode obj(String json) {
        try {
            return (ObjectNode) JSON.readTree(json);
        } catch (Exception e) {
            throw new IllegalArgumentException(e);
        }
    }

    /** Feeds {@code stream} to {@code t} in chunks of {@code chunk} bytes and returns everything it emitted. */
    static byte[] run(io.claudemirror.exchange.ResponseTransformer t, byte[] stream, int chunk) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        t.begin(200, "text/event-stream; charset=utf-8");
        for (int i = 0; i < stream.length; i += chunk) {
            put(out, t.transform(stream, i, Math.min(chunk, stream.length - i)));
        }
        put(out, t.finish());
        return out.toByteArray();
    }

    private static void put(ByteArrayOutputStream out, ByteBuffer b) {
        byte[] a = new byte[b.remaining()];
        b.get(a);
        out.writeBytes(a);
    }

    /** One parsed event. */
    record Event(String name, JsonNode data) {
    }

    /** Parses a stream the way the SDKs do; every data line must be valid JSON. */
    static List<Event> parse(byte[] stream) {
        List<Event> events = new ArrayList<>();
        String s = new String(stream, StandardCharsets.UTF_8).replace("\r\n", "\n");
        for (String block : s.split("\n\n")) {
            if (block.isBlank()) {
                continue;
            }
            String name = null;
            JsonNode data = null;
            for (String line : block.split("\n")) {
                if (line.startsWith("event:")) {
                    name = line.substring(6).trim();
                } else if (line.startsWith("data:")) {
                    try {
                        data = JSON.readTree(line.substring(5).trim());
                    } catch (Exception e) {
                        throw new AssertionError("invalid JSON in data line: " + line, e);
                    }
                }
            }
            events.add(new Event(name, data));
        }
        return events;
    }

    /** The text of block {@code index}, as an SDK accumulates it from text_delta events. */
    static String text(List<Event> events, int index) {
        StringBuilder sb = new StringBuilder();
        for (Event e : events) {
            if ("content_block_delta".equals(e.name()) && e.data().path("index").asInt() == index
                    && "text_delta".equals(e.data().path("delta").path("type").asText())) {
                sb.append(e.data().path("delta").path("text").asText());
            }
        }
        return sb.toString();
    }

    /** The tool input of block {@code index}, accumulated from input_json_delta events and parsed. */
    static JsonNode input(List<Event> events, int index) throws Exception {
        StringBuilder sb = new StringBuilder();
        for (Event e : events) {
            if ("content_block_delta".equals(e.name()) && e.data().path("index").asInt() == index
                    && "input_json_delta".equals(e.data().path("delta").path("type").asText())) {
                sb.append(e.data().path("delta").path("partial_json").asText());
            }
        }
        return JSON.readTree(sb.toString());
    }
}
