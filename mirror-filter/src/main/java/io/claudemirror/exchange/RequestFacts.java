package io.claudemirror.exchange;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import java.io.IOException;

/**
 * The few top-level fields of a JSON request body the mirror acts on, read in one streaming pass that also
 * validates the whole document. The body itself is never re-serialized.
 *
 * @param valid       the body is one well-formed JSON document (or empty)
 * @param error       why it is not, for the 400 message (no body content is quoted)
 */
public record RequestFacts(boolean valid, String error, String model, boolean stream, long maxTokens,
                           boolean hasTemperature, double temperature) {

    public static final RequestFacts EMPTY = new RequestFacts(true, null, null, false, -1, false, Double.NaN);

    static final JsonFactory JSON = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(512).build())
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
        } catch (IOException | RuntimeException e) {
            return invalid("request body is not valid JSON");
        }
        return new RequestFacts(true, null, model, stream, maxTokens, hasTemperature, temperature);
    }

    private static RequestFacts invalid(String why) {
        return new RequestFacts(false, why, null, false, -1, false, Double.NaN);
    }
}
