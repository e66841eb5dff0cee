package io.claudemirror.proxy;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.claudemirror.errors.Json;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Points every {@code results_url} of a batch object (or of a page of them, under {@code data}) at the mirror, so
 * an SDK fetching results follows the absolute URL back through the mirror instead of going around it with a
 * mirror key. The field is found by parsing the JSON (never by matching text), and its value is rebuilt from
 * the mirror's base and the URL's own {@code /v1/…} path; a value that cannot be read that way becomes
 * {@code null} rather than leak the upstream's address. The rest of the body is copied byte for byte.
 */
final class BatchUrlRewriter extends BufferingTransformer {
    private static final JsonFactory JSON = new JsonFactory();

    private final String mirrorBase;

    /** {@code mirrorBase}: {@code publicBaseUrl}, or scheme, host, port, context and mount path of the request. */
    BatchUrlRewriter(String mirrorBase) {
        super(16 * 1024 * 1024);
        this.mirrorBase = mirrorBase;
    }

    /** One value to replace: raw byte span {@code [from, to)} and its new JSON text. */
    private record Edit(int from, int to, String json) {
    }

    @Override
    byte[] rewrite(byte[] body, int length) {
        List<Edit> edits = new ArrayList<>(4);
        try (JsonParser p = JSON.createParser(body, 0, length)) {
            if (p.nextToken() == JsonToken.START_OBJECT) {
                object(p, edits, true);
            }
        } catch (IOException | RuntimeException e) {
            // Not a JSON object the mirror can read: nothing to rewrite safely, and nothing found to leak.
            return java.util.Arrays.copyOf(body, length);
        }
        if (edits.isEmpty()) {
            return java.util.Arrays.copyOf(body, length);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(length + 64 * edits.size());
        int at = 0;
        for (Edit e : edits) {
            out.write(body, at, e.from - at);
            byte[] v = e.json.getBytes(StandardCharsets.UTF_8);
            out.write(v, 0, v.length);
            at = e.to;
        }
        out.write(body, at, length - at);
        return out.toByteArray();
    }

    /** An object just opened: its own {@code results_url}, and at the root the items of {@code data}. */
    private void object(JsonParser p, List<Edit> edits, boolean root) throws IOException {
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken t = p.nextToken();
            if ("results_url".equals(name) && t == JsonToken.VALUE_STRING) {
                int from = (int) p.currentTokenLocation().getByteOffset();
                String url = p.getText();
                int to = (int) p.currentLocation().getByteOffset();
                edits.add(new Edit(from, to, replacement(url)));
            } else if (root && "data".equals(name) && t == JsonToken.START_ARRAY) {
                while ((t = p.nextToken()) != JsonToken.END_ARRAY && t != null) {
                    if (t == JsonToken.START_OBJECT) {
                        object(p, edits, false);
                    } else {
                        p.skipChildren();
                    }
                }
            } else {
                p.skipChildren();
            }
        }
    }

    private String replacement(String upstreamUrl) {
        String path;
        try {
            path = URI.create(upstreamUrl).getRawPath();
        } catch (IllegalArgumentException e) {
            return "null";
        }
        int v1 = path == null ? -1 : path.indexOf("/v1/");
        if (v1 < 0) {
            return "null";
        }
        StringBuilder sb = new StringBuilder(mirrorBase.length() + path.length() - v1 + 2);
        Json.quote(sb, mirrorBase + path.substring(v1));
        return sb.toString();
    }
}
