package io.claudemirror.exchange;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.StreamReadException;
import io.claudemirror.exchange.ApiRequest.Refusal;
import java.io.IOException;

/**
 * The few top-level fields of a JSON request body the mirror acts on, read in one streaming pass that also
 * validates the whole document. The body itself is never re-serialized.
 *
 * @param valid       the body is one well-formed JSON document (or empty)
 * @param error       why it is not, for the 400 message (no body content is quoted)
 */
public record RequestFacts(boolean valid, String error, boolean object, String model, boolean stream,
                           long maxTokens, boolean hasTemperature, double temperature) {

    public static final RequestFacts EMPTY = new RequestFacts(true, null, false, null, false, -1, false, Double.NaN);

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
        try (JsonParser p = JSON.createParser(body, 0, length)) {
            JsonToken t = p.nextToken();
            if (t != JsonToken.START_OBJECT) {
                // Valid JSON that is not an object: nothing to read, still well-formed.
                p.skipChildren();
                if (p.nextToken() != null) {
                    return invalid("trailing content after the JSON value");
                }
                return EMPTY;
            }
            while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                t = p.nextToken();
                switch (name) {
                    case "model":
                        if (t == JsonToken.VALUE_STRING) {
                            model = p.getText();
                        } else if (t != JsonToken.VALUE_NULL) {
                            modelNotString = true;
                            p.skipChildren();
                        }
                        break;
                    case "stream":
                        stream = t == JsonToken.VALUE_TRUE;
                        break;
                    case "max_tokens":
                        if (t == JsonToken.VALUE_NUMBER_INT) {
                            maxTokens = p.getLongValue();
                        }
                        break;
                    case "temperature":
                        if (t == JsonToken.VALUE_NUMBER_INT || t == JsonToken.VALUE_NUMBER_FLOAT) {
                            hasTemperature = true;
                            temperature = p.getDoubleValue();
                        }
                        break;
                    default:
                        p.skipChildren();
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
        return new RequestFacts(true, null, true, model, stream, maxTokens, hasTemperature, temperature);
    }

    private static RequestFacts invalid(String why) {
        return new RequestFacts(false, why, false, null, false, -1, false, Double.NaN);
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
