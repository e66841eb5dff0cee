package io.claudemirror.cache;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Converts a cached answer into the form a request asked for: a stream into the {@code Message} it describes
 * (as the SDKs accumulate it), and a {@code Message} into a valid stream ({@code message_start}, per block
 * {@code content_block_start}/{@code _delta}/{@code _stop}, {@code message_delta} with {@code stop_reason} and
 * {@code usage}, {@code message_stop}). Both directions keep every field they do not understand.
 */
final class MessageForms {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private MessageForms() {
    }

    /** The Message a complete stream describes, as JSON bytes. */
    static byte[] assemble(byte[] stream) {
        try {
            ObjectNode message = null;
            List<ObjectNode> blocks = new ArrayList<>();
            List<StringBuilder> inputs = new ArrayList<>();
            for (SseEvents.Event e : SseEvents.parse(stream)) {
                if (e.data().isEmpty()) {
                    continue;
                }
                JsonNode data = JSON.readTree(e.data());
                switch (data.path("type").asText()) {
                    case "message_start" -> message = ((ObjectNode) data.get("message")).deepCopy();
                    case "content_block_start" -> {
                        int index = data.path("index").asInt();
                        while (blocks.size() <= index) {
                            blocks.add(null);
                            inputs.add(null);
                        }
                        blocks.set(index, ((ObjectNode) data.get("content_block")).deepCopy());
                    }
                    case "content_block_delta" -> delta(blocks, inputs, data.path("index").asInt(), data.get("delta"));
                    case "content_block_stop" -> {
                        int index = data.path("index").asInt();
                        StringBuilder input = index < inputs.size() ? inputs.get(index) : null;
                        if (input != null) {
                            blocks.get(index).set("input", input.length() == 0 ? NODES.objectNode()
                                    : JSON.readTree(input.toString()));
                        }
                    }
                    case "message_delta" -> messageDelta(message, data);
                    default -> { }
                }
            }
            if (message == null) {
                throw new IllegalArgumentException("stream without message_start");
            }
            ArrayNode content = message.putArray("content");
            for (ObjectNode b : blocks) {
                if (b != null) {
                    content.add(b);
                }
            }
            return JSON.writeValueAsBytes(message);
        } catch (JsonProcessingException | ClassCastException | NullPointerException e) {
            throw new IllegalArgumentException("cached stream cannot be assembled", e);
        }
    }

    private static void delta(List<ObjectNode> blocks, List<StringBuilder> inputs, int index, JsonNode delta) {
        ObjectNode block = blocks.get(index);
        switch (delta.path("type").asText()) {
            case "text_delta" -> block.put("text", block.path("text").asText() + delta.path("text").asText());
            case "thinking_delta" -> block.put("thinking",
                    block.path("thinking").asText() + delta.path("thinking").asText());
            case "signature_delta" -> block.put("signature", delta.path("signature").asText());
            case "citations_delta" -> {
                JsonNode list = block.get("citations");
                ArrayNode citations = list instanceof ArrayNode a ? a : block.putArray("citations");
                citations.add(delta.get("citation"));
            }
            case "input_json_delta" -> {
                if (inputs.get(index) == null) {
                    inputs.set(index, new StringBuilder());
                }
                inputs.get(index).append(delta.path("partial_json").asText());
            }
            default -> { }
        }
    }

    private static void messageDelta(ObjectNode message, JsonNode data) {
        Iterator<Map.Entry<String, JsonNode>> fields = data.path("delta").fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> f = fields.next();
            message.set(f.getKey(), f.getValue());
        }
        JsonNode usage = data.get("usage");
        if (usage instanceof ObjectNode u) {
            // Counts in message_delta are cumulative: each one replaces the count from message_start.
            ObjectNode target = message.get("usage") instanceof ObjectNode o ? o : message.putObject("usage");
            u.fields().forEachRemaining(f -> {
                if (!f.getValue().isNull()) {
                    target.set(f.getKey(), f.getValue());
                }
            });
        }
    }

    /** A valid event stream for a Message given as JSON bytes. */
    static byte[] synthesize(byte[] messageJson) {
        try {
            ObjectNode message = (ObjectNode) JSON.readTree(messageJson);
            StringBuilder out = new StringBuilder(messageJson.length * 2);
            ObjectNode start = message.deepCopy();
            start.putArray("content");
            start.putNull("stop_reason");
            start.putNull("stop_sequence");
            JsonNode usage = message.get("usage");
            if (usage instanceof ObjectNode u) {
                ObjectNode provisional = u.deepCopy();
                provisional.put("output_tokens", Math.min(1, u.path("output_tokens").asLong(1)));
                start.set("usage", provisional);
            }
            event(out, "message_start", NODES.objectNode().put("type", "message_start").set("message", start));
            int index = 0;
            for (JsonNode block : message.path("content")) {
                block(out, index++, (ObjectNode) block);
            }
            ObjectNode delta = NODES.objectNode();
            delta.set("stop_reason", message.path("stop_reason").isMissingNode() ? NODES.nullNode()
                    : message.get("stop_reason"));
            delta.set("stop_sequence", message.path("stop_sequence").isMissingNode() ? NODES.nullNode()
                    : message.get("stop_sequence"));
            ObjectNode md = NODES.objectNode().put("type", "message_delta");
            md.set("delta", delta);
            if (usage != null) {
                md.set("usage", usage);
            }
            event(out, "message_delta", md);
            event(out, "message_stop", NODES.objectNode().put("type", "message_stop"));
            return out.toString().getBytes(StandardCharsets.UTF_8);
        } catch (java.io.IOException | ClassCastException e) {
            throw new IllegalArgumentException("cached message cannot be streamed", e);
        }
    }

    private static void block(StringBuilder out, int index, ObjectNode block) {
        String type = block.path("type").asText();
        ObjectNode start = block.deepCopy();
        List<ObjectNode> deltas = new ArrayList<>();
        switch (type) {
            case "text" -> {
                start.put("text", "");
                JsonNode citations = start.remove("citations");
                if (citations instanceof ArrayNode list) {
                    start.putArray("citations");
                    for (JsonNode c : list) {
                        deltas.add(NODES.objectNode().put("type", "citations_delta").set("citation", c));
                    }
                }
                deltas.add(NODES.objectNode().put("type", "text_delta").put("text", block.path("text").asText()));
            }
            case "thinking" -> {
                start.put("thinking", "");
                start.put("signature", "");
                deltas.add(NODES.objectNode().put("type", "thinking_delta")
                        .put("thinking", block.path("thinking").asText()));
                deltas.add(NODES.objectNode().put("type", "signature_delta")
                        .put("signature", block.path("signature").asText()));
            }
            case "tool_use", "server_tool_use" -> {
                start.set("input", NODES.objectNode());
                String input = block.has("input") ? block.get("input").toString() : "{}";
                deltas.add(NODES.objectNode().put("type", "input_json_delta").put("partial_json", input));
            }
            default -> { } // results and redacted thinking arrive whole in content_block_start
        }
        event(out, "content_block_start", NODES.objectNode().put("type", "content_block_start").put("index", index)
                .set("content_block", start));
        for (ObjectNode d : deltas) {
            event(out, "content_block_delta", NODES.objectNode().put("type", "content_block_delta").put("index", index)
                    .set("delta", d));
        }
        event(out, "content_block_stop", NODES.objectNode().put("type", "content_block_stop").put("index", index));
    }

    private static void event(StringBuilder out, String name, JsonNode data) {
        SseEvents.append(out, name, data.toString());
    }
}
