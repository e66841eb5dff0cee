package io.claudemirror.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The fake model's answer to one Messages request, rendered either as a JSON {@code Message} (§4) or as the SSE event
 * script of §5. Both renderings carry the same ids and the same usage numbers.
 */
final class Reply {

    static final String DEFAULT_MODEL = "claude-sonnet-4-5-20250929";
    static final String THINKING_TEXT = "Let me think.";

    final String id = Wire.messageId();
    final String model;
    final String text;
    /** Name of the tool the reply "calls", or {@code null} for a text reply. */
    final String toolName;
    final String toolUseId;
    /** The tool input as JSON text, {@code {"text": "<reply>"}}; {@code null} for a text reply. */
    final String toolInputJson;
    final boolean thinking;
    final String signature;
    final long inputTokens;
    final long outputTokens;

    private Reply(String model, String text, String toolName, boolean thinking, long inputTokens) {
        this.model = model;
        this.text = text;
        this.toolName = toolName;
        this.thinking = thinking;
        this.signature = thinking ? Wire.signature() : null;
        this.inputTokens = inputTokens;
        if (toolName != null) {
            this.toolUseId = Wire.toolUseId();
            this.toolInputJson = "{\"text\": " + Wire.JSON.getNodeFactory().textNode(text).toString() + "}";
            this.outputTokens = tokens(toolInputJson.getBytes(StandardCharsets.UTF_8).length);
        } else {
            this.toolUseId = null;
            this.toolInputJson = null;
            this.outputTokens = tokens(text.getBytes(StandardCharsets.UTF_8).length);
        }
    }

    /**
     * Builds the reply to a parsed Messages request.
     *
     * @param request   the request body ({@code MissingNode} when it was not a JSON object)
     * @param bodyBytes size of the raw request body, the basis of {@code input_tokens}
     * @param fixedText reply text to use instead of the echo, or {@code null}
     */
    static Reply to(JsonNode request, long bodyBytes, String fixedText) {
        String model = request.path("model").isTextual() ? request.path("model").asText() : DEFAULT_MODEL;
        String text = fixedText != null ? fixedText : echo(request);
        String thinkingType = request.path("thinking").path("type").asText("");
        boolean thinking = thinkingType.equals("enabled") || thinkingType.equals("adaptive");
        return new Reply(model, text, toolName(request), thinking, tokens(bodyBytes));
    }

    /** The token formula documented on {@link FakeAnthropic}: a quarter of the UTF-8 bytes, at least 1. */
    static long tokens(long bytes) {
        return Math.max(1, bytes / 4);
    }

    /** Text of the last {@code user} message: string content, or its text blocks and tool_result texts joined. */
    static String echo(JsonNode request) {
        JsonNode messages = request.path("messages");
        for (int i = messages.size() - 1; i >= 0; i--) {
            JsonNode message = messages.get(i);
            if ("user".equals(message.path("role").asText())) {
                return contentText(message.path("content"));
            }
        }
        return "";
    }

    private static String contentText(JsonNode content) {
        if (content.isTextual()) {
            return content.asText();
        }
        StringBuilder sb = new StringBuilder();
        for (JsonNode block : content) {
            String type = block.path("type").asText();
            if (type.equals("text")) {
                sb.append(block.path("text").asText(""));
            } else if (type.equals("tool_result")) {
                sb.append(contentText(block.path("content")));
            }
        }
        return sb.toString();
    }

    /** First tool's name (or the forced tool's) when tools are offered and tool_choice is not "none". */
    private static String toolName(JsonNode request) {
        JsonNode tools = request.path("tools");
        JsonNode choice = request.path("tool_choice");
        String choiceType = choice.path("type").asText("auto");
        if (!tools.isArray() || tools.isEmpty() || choiceType.equals("none")) {
            return null;
        }
        if (choiceType.equals("tool") && choice.path("name").isTextual()) {
            return choice.path("name").asText();
        }
        return tools.get(0).path("name").asText("tool");
    }

    String stopReason() {
        return toolName != null ? "tool_use" : "end_turn";
    }

    /** The non-streaming {@code Message} object. */
    ObjectNode message() {
        ObjectNode message = messageHead();
        ArrayNode content = message.putArray("content");
        if (thinking) {
            content.addObject().put("type", "thinking").put("thinking", THINKING_TEXT).put("signature", signature);
        }
        if (toolName != null) {
            ObjectNode toolUse = content.addObject().put("type", "tool_use").put("id", toolUseId).put("name", toolName);
            toolUse.putObject("input").put("text", text);
        } else {
            content.addObject().put("type", "text").put("text", text);
        }
        message.put("stop_reason", stopReason());
        message.putNull("stop_sequence");
        fullUsage(message.putObject("usage"), outputTokens);
        return message;
    }

    private ObjectNode messageHead() {
        ObjectNode message = Wire.JSON.createObjectNode();
        message.put("model", model); // newer streams put model first (§4)
        message.put("id", id);
        message.put("type", "message");
        message.put("role", "assistant");
        return message;
    }

    private void fullUsage(ObjectNode usage, long output) {
        usage.put("input_tokens", inputTokens);
        usage.put("cache_creation_input_tokens", 0);
        usage.put("cache_read_input_tokens", 0);
        usage.putObject("cache_creation").put("ephemeral_5m_input_tokens", 0).put("ephemeral_1h_input_tokens", 0);
        usage.put("output_tokens", output);
        usage.put("service_tier", "standard");
        usage.put("inference_geo", "not_available");
    }

    /**
     * The SSE events in order (§5): message_start, per block start / deltas / stop with one {@code ping} after the
     * first block start, message_delta (cumulative usage), message_stop.
     */
    List<byte[]> sseEvents(int chunkSize) {
        List<byte[]> events = new ArrayList<>();
        ObjectNode start = Wire.JSON.createObjectNode().put("type", "message_start");
        ObjectNode message = messageHead();
        message.putArray("content");
        message.putNull("stop_reason");
        message.putNull("stop_sequence");
        fullUsage(message.putObject("usage"), 1);
        start.set("message", message);
        events.add(event(start));

        int index = 0;
        if (thinking) {
            blockStart(events, index, block("thinking").put("thinking", "").put("signature", ""));
            delta(events, index, "thinking_delta", "thinking", THINKING_TEXT);
            delta(events, index, "signature_delta", "signature", signature);
            blockStop(events, index++);
        }
        if (toolName != null) {
            ObjectNode toolUse = block("tool_use").put("id", toolUseId).put("name", toolName);
            toolUse.putObject("input");
            blockStart(events, index, toolUse);
            delta(events, index, "input_json_delta", "partial_json", ""); // first piece is empty, as on the wire
            for (String piece : split(toolInputJson, chunkSize)) {
                delta(events, index, "input_json_delta", "partial_json", piece);
            }
        } else {
            blockStart(events, index, block("text").put("text", ""));
            for (String piece : split(text, chunkSize)) {
                delta(events, index, "text_delta", "text", piece);
            }
        }
        blockStop(events, index);

        ObjectNode messageDelta = Wire.JSON.createObjectNode().put("type", "message_delta");
        messageDelta.putObject("delta").put("stop_reason", stopReason()).putNull("stop_sequence");
        messageDelta.putObject("usage")
                .put("input_tokens", inputTokens)
                .put("cache_creation_input_tokens", 0)
                .put("cache_read_input_tokens", 0)
                .put("output_tokens", outputTokens);
        events.add(event(messageDelta));
        events.add(event(Wire.JSON.createObjectNode().put("type", "message_stop")));
        return events;
    }

    private static ObjectNode block(String type) {
        return Wire.JSON.createObjectNode().put("type", type);
    }

    private static void blockStart(List<byte[]> events, int index, ObjectNode contentBlock) {
        ObjectNode start = Wire.JSON.createObjectNode().put("type", "content_block_start").put("index", index);
        start.set("content_block", contentBlock);
        events.add(event(start));
        if (index == 0) {
            events.add(Wire.PING); // real streams send one right after the first block start
        }
    }

    private static void delta(List<byte[]> events, int index, String deltaType, String field, String value) {
        ObjectNode delta = Wire.JSON.createObjectNode().put("type", "content_block_delta").put("index", index);
        delta.putObject("delta").put("type", deltaType).put(field, value);
        events.add(event(delta));
    }

    private static void blockStop(List<byte[]> events, int index) {
        events.add(event(Wire.JSON.createObjectNode().put("type", "content_block_stop").put("index", index)));
    }

    private static byte[] event(ObjectNode data) {
        return Wire.sseEvent(data.get("type").asText(), Wire.bytes(data));
    }

    /** Splits into pieces of {@code size} chars without ever separating a surrogate pair. */
    static List<String> split(String s, int size) {
        List<String> pieces = new ArrayList<>();
        int i = 0;
        while (i < s.length()) {
            int end = Math.min(s.length(), i + size);
            if (end < s.length() && Character.isHighSurrogate(s.charAt(end - 1))) {
                end++;
            }
            pieces.add(s.substring(i, end));
            i = end;
        }
        return pieces;
    }
}
