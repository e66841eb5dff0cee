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
     * The file ids of a body sent with {@code contentEncoding}. A body that is JSON already (as sent, or decoded
     * by the front door) is read as it is; else a gzip or deflate body is inflated, at most to {@code maxBytes}.
     *
     * @throws IOException when no JSON can be read from it (another encoding, corrupt, too large, not JSON)
     */
    static Set<String> in(byte[] body, int length, String contentEncoding, long maxBytes) throws IOException {
        try {
            return in(body, length);
        } catch (IOException notJson) {
            String e = contentEncoding == null ? "" : contentEncoding.trim().toLowerCase(java.util.Locale.ROOT);
            if (!e.equals("gzip") && !e.equals("x-gzip") && !e.equals("deflate")) {
                throw notJson;
            }
            java.io.InputStream raw = new java.io.ByteArrayInputStream(body, 0, length);
            try (java.io.InputStream in = e.equals("deflate") ? new java.util.zip.InflaterInputStream(raw)
                    : new java.util.zip.GZIPInputStream(raw)) {
                // Bounded: a small compressed body must not become an unbounded buffer.
                byte[] inflated = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, maxBytes + 1));
                if (inflated.length > maxBytes) {
                    throw new IOException("request body exceeds the mirror's limit once decompressed");
                }
                return in(inflated, inflated.length);
            }
        }
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
