package io.claudemirror.exchange;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.StreamReadException;
import io.claudemirror.exchange.ApiRequest.Refusal;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * What the mirror acts on in a JSON request body, read in one streaming pass that also validates the whole
 * document: the few top-level fields, where the top-level {@code stream} member starts (for the cache key), and
 * every {@code file_id} at any depth (for ownership). Every policy reads these facts instead of parsing the body
 * again. The body itself is never re-serialized.
 *
 * @param valid       the body is one well-formed JSON document (or empty)
 * @param error       why it is not, for the 400 message (no body content is quoted)
 * @param streamAt    byte offset of the top-level {@code "stream"} member's name, or -1
 * @param fileIds     the string value of every member named {@code file_id}, at any depth, in order of
 *                    appearance (a real JSON reading: {@code "file\u005fid"} is the same name to the upstream)
 */
public record RequestFacts(boolean valid, String error, boolean object, String model, boolean stream,
                           long maxTokens, boolean hasTemperature, double temperature, int streamAt,
                           List<String> fileIds) {

    public static final RequestFacts EMPTY =
            new RequestFacts(true, null, false, null, false, -1, false, Double.NaN, -1, List.of());

    /** The member whose string values are file references. */
    public static final String FILE_ID = "file_id";

    /** Longest model name accepted; Anthropic's are under 40 characters. */
    public static final int MAX_MODEL_LENGTH = 128;

    /**
     * Duplicate keys are an error at every level: parsers disagree on which one wins (Jackson and the mirror's
     * own scans see the last, others the first), so a body with two {@code model} keys could pass the allow-list
     * as one model and run as another.
     */
    static final JsonFactory JSON = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(512).build())
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();

    public static JsonFactory jsonFactory() {
        return JSON;
    }

    /** Parses {@code body[0..length)}; never throws. */
    public static RequestFacts parse(byte[] body, int length) {
        if (length == 0) {
            return EMPTY;
        }
        String model = null;
        boolean modelNotString = false;
        boolean stream = false;
        long maxTokens = -1;
        boolean hasTemperature = false;
        double temperature = Double.NaN;
        int streamAt = -1;
        List<String> fileIds = null;
        try (JsonParser p = JSON.createParser(body, 0, length)) {
            JsonToken t = p.nextToken();
            if (t != JsonToken.START_OBJECT) {
                // Valid JSON that is not an object: no fields to read, still well-formed, file ids still count.
                fileIds = skip(p, t, null);
                if (p.nextToken() != null) {
                    return invalid("trailing content after the JSON value");
                }
                return fileIds == null ? EMPTY
                        : new RequestFacts(true, null, false, null, false, -1, false, Double.NaN, -1, fileIds);
            }
            while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                int nameAt = "stream".equals(name) ? (int) p.currentTokenLocation().getByteOffset() : -1;
                t = p.nextToken();
                switch (name) {
                    case "model":
                        if (t == JsonToken.VALUE_STRING) {
                            model = p.getText();
                        } else if (t != JsonToken.VALUE_NULL) {
                            modelNotString = true;
                            fileIds = skip(p, t, fileIds);
                        }
                        break;
                    case "stream":
                        stream = t == JsonToken.VALUE_TRUE;
                        streamAt = nameAt;
                        fileIds = skip(p, t, fileIds);
                        break;
                    case "max_tokens":
                        if (t == JsonToken.VALUE_NUMBER_INT) {
                            maxTokens = p.getLongValue();
                        } else {
                            fileIds = skip(p, t, fileIds);
                        }
                        break;
                    case "temperature":
                        if (t == JsonToken.VALUE_NUMBER_INT || t == JsonToken.VALUE_NUMBER_FLOAT) {
                            hasTemperature = true;
                            temperature = p.getDoubleValue();
                        } else {
                            fileIds = skip(p, t, fileIds);
                        }
                        break;
                    case FILE_ID:
                        fileIds = t == JsonToken.VALUE_STRING ? add(fileIds, p.getText()) : skip(p, t, fileIds);
                        break;
                    default:
                        fileIds = skip(p, t, fileIds);
                }
            }
            if (t != JsonToken.END_OBJECT || p.nextToken() != null) {
                return invalid("trailing content after the JSON object");
            }
        } catch (StreamReadException e) {
            String m = e.getOriginalMessage();
            return invalid(m != null && m.startsWith("Duplicate field")
                    ? "request body has a duplicate key; each key may appear once per object"
                    : "request body is not valid JSON");
        } catch (IOException | RuntimeException e) {
            return invalid("request body is not valid JSON");
        }
        if (modelNotString) {
            return invalid("model must be a string");
        }
        if (model != null && !validModel(model)) {
            return invalid("model is not a valid model name");
        }
        return new RequestFacts(true, null, true, model, stream, maxTokens, hasTemperature, temperature, streamAt,
                fileIds == null ? List.of() : fileIds);
    }

    /**
     * Skips the value whose first token is {@code t} (what {@code skipChildren} does, token by token) and collects
     * the {@code file_id} strings inside it. Returns the list, created on the first id.
     */
    private static List<String> skip(JsonParser p, JsonToken t, List<String> fileIds) throws IOException {
        if (t != JsonToken.START_OBJECT && t != JsonToken.START_ARRAY) {
            return fileIds;
        }
        int depth = 1;
        while (depth > 0) {
            JsonToken n = p.nextToken();
            if (n == null) {
                throw new java.io.EOFException("unexpected end of input");
            }
            switch (n) {
                case START_OBJECT, START_ARRAY -> depth++;
                case END_OBJECT, END_ARRAY -> depth--;
                case FIELD_NAME -> {
                    if (FILE_ID.equals(p.currentName())) {
                        JsonToken v = p.nextToken();
                        if (v == JsonToken.VALUE_STRING) {
                            fileIds = add(fileIds, p.getText());
                        } else if (v == JsonToken.START_OBJECT || v == JsonToken.START_ARRAY) {
                            depth++;
                        }
                    }
                }
                default -> {
                }
            }
        }
        return fileIds;
    }

    private static List<String> add(List<String> fileIds, String id) {
        List<String> ids = fileIds == null ? new ArrayList<>(2) : fileIds;
        ids.add(id);
        return ids;
    }

    private static RequestFacts invalid(String why) {
        return new RequestFacts(false, why, false, null, false, -1, false, Double.NaN, -1, List.of());
    }

    /**
     * A model name: a letter, then letters, digits and {@code . _ : -}, at most {@link #MAX_MODEL_LENGTH}. Anything
     * else (an e-mail address, a phone number, a sentence) is refused before it can reach the audit log, a metric
     * label or an error message.
     */
    public static boolean validModel(String m) {
        int n = m.length();
        if (n == 0 || n > MAX_MODEL_LENGTH) {
            return false;
        }
        char first = m.charAt(0);
        if (!(first >= 'a' && first <= 'z' || first >= 'A' && first <= 'Z')) {
            return false;
        }
        for (int i = 1; i < n; i++) {
            char c = m.charAt(i);
            if (!(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_'
                    || c == ':' || c == '-')) {
                return false;
            }
        }
        return true;
    }

    /**
     * What the endpoint demands of the body: a Messages-shaped endpoint needs one JSON object (whatever the
     * {@code Content-Type} claims, since the upstream parses it as JSON anyway); any other body that says it is
     * JSON must be well-formed. Returns the refusal, or null.
     */
    static Refusal check(ApiRequest api, String contentType, RequestFacts facts) {
        if (api == null) {
            return null;
        }
        if (api.endpoint().carriesModel()) {
            if (!facts.valid()) {
                return new Refusal(400, "invalid_request_error", facts.error());
            }
            if (!facts.object()) {
                return new Refusal(400, "invalid_request_error", "request body must be a JSON object");
            }
            return null;
        }
        if (facts != EMPTY && !facts.valid() && isJson(contentType)) {
            return new Refusal(400, "invalid_request_error", facts.error());
        }
        return null;
    }

    static boolean isJson(String contentType) {
        return contentType != null && contentType.regionMatches(true, 0, "application/json", 0, 16);
    }
}
