package io.claudemirror.ratelimit;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.claudemirror.exchange.RequestFacts;
import java.io.IOException;
import java.util.List;

/**
 * A tenant's {@code models} allow-list: globs where {@code *} matches any run of characters (also none) and
 * {@code ?} exactly one; everything else is literal and case-sensitive, like model ids. An empty list allows
 * every model.
 */
public final class ModelAllowList {
    private static final ModelAllowList ALL = new ModelAllowList(new String[0]);

    private final String[] globs;

    private ModelAllowList(String[] globs) {
        this.globs = globs;
    }

    public static ModelAllowList of(List<String> globs) {
        return globs.isEmpty() ? ALL : new ModelAllowList(globs.toArray(new String[0]));
    }

    public boolean allowsAll() {
        return globs.length == 0;
    }

    /** True when {@code model} matches a glob (or the list is empty). */
    public boolean allows(String model) {
        if (globs.length == 0) {
            return true;
        }
        for (String g : globs) {
            if (matches(g, model)) {
                return true;
            }
        }
        return false;
    }

    /**
     * The first model in a Message Batches body ({@code requests[].params.model}) that is not allowed, or null.
     * Without this check a batch would be a way around the allow-list. A malformed body yields null: the
     * upstream rejects it anyway.
     */
    public String firstDisallowedInBatch(byte[] body, int length) {
        if (globs.length == 0 || body == null || length <= 0) {
            return null;
        }
        try (JsonParser p = RequestFacts.jsonFactory().createParser(body, 0, length)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return null;
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                if (p.nextToken() == JsonToken.START_ARRAY && "requests".equals(field)) {
                    JsonToken t;
                    while ((t = p.nextToken()) != JsonToken.END_ARRAY && t != null) {
                        String denied = t == JsonToken.START_OBJECT ? deniedInBatchRequest(p) : skip(p);
                        if (denied != null) {
                            return denied;
                        }
                    }
                } else {
                    p.skipChildren();
                }
            }
        } catch (IOException | RuntimeException e) {
            // The front door only lets a well-formed batch body this far; anything else is not checkable.
            return "(unreadable batch body)";
        }
        return null;
    }

    private static String skip(JsonParser p) throws IOException {
        p.skipChildren();
        return null;
    }

    /** Inside one {@code requests[]} object: finds {@code params.model}. */
    private String deniedInBatchRequest(JsonParser p) throws IOException {
        String denied = null;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            if (p.nextToken() == JsonToken.START_OBJECT && "params".equals(field)) {
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String name = p.currentName();
                    JsonToken v = p.nextToken();
                    if ("model".equals(name)) {
                        // A model that is not a plain string cannot be checked, so it is not allowed.
                        String model = v == JsonToken.VALUE_STRING ? p.getText() : "(not a string)";
                        if (v != JsonToken.VALUE_STRING) {
                            p.skipChildren();
                        }
                        if (denied == null && !allows(model)) {
                            denied = model;
                        }
                    } else {
                        p.skipChildren();
                    }
                }
            } else {
                p.skipChildren();
            }
        }
        return denied;
    }

    /**
     * Glob match without regex or allocation: on a mismatch after a {@code *}, retry with the star absorbing one
     * more character (linear backtracking to the last star only, which is enough for {@code *} semantics).
     */
    static boolean matches(String glob, String text) {
        if (text == null) {
            return false;
        }
        int g = 0;
        int t = 0;
        int star = -1;
        int starText = 0;
        while (t < text.length()) {
            if (g < glob.length() && (glob.charAt(g) == '?' || glob.charAt(g) == text.charAt(t))) {
                g++;
                t++;
            } else if (g < glob.length() && glob.charAt(g) == '*') {
                star = g++;
                starText = t;
            } else if (star >= 0) {
                g = star + 1;
                t = ++starText;
            } else {
                return false;
            }
        }
        while (g < glob.length() && glob.charAt(g) == '*') {
            g++;
        }
        return g == glob.length();
    }
}
