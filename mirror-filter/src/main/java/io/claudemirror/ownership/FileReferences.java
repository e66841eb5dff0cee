package io.claudemirror.ownership;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import java.io.IOException;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * Finds every file id a JSON request body refers to: the string value of any member named {@code file_id}, at any
 * depth ({@code {"type":"document","source":{"type":"file","file_id":…}}}, a container upload, a batch's
 * {@code requests[i].params}…). A real JSON parser, not a substring search: {@code "file\u005fid"} is the same
 * name to the upstream and must be to the mirror too.
 */
final class FileReferences {
    static final String FIELD = "file_id";

    /** Image data can be one long string: no length limit on strings, which are skipped, never materialised. */
    private static final JsonFactory JSON = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxStringLength(Integer.MAX_VALUE).build())
            .build();

    private FileReferences() {
    }

    /**
     * The distinct file ids in {@code body}, in order of appearance.
     *
     * @throws IOException when the body is not one valid JSON value
     */
    static Set<String> in(byte[] body, int length) throws IOException {
        Set<String> ids = new LinkedHashSet<>();
        try (JsonParser p = JSON.createParser(body, 0, length)) {
            JsonToken t;
            while ((t = p.nextToken()) != null) {
                if (t == JsonToken.FIELD_NAME && FIELD.equals(p.currentName())) {
                    if (p.nextToken() == JsonToken.VALUE_STRING) {
                        ids.add(p.getText());
                    } else {
                        p.skipChildren();
                    }
                }
            }
        }
        return ids;
    }
}
