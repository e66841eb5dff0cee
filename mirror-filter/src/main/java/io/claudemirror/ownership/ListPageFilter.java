package io.claudemirror.ownership;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.claudemirror.errors.Json;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Shows a tenant only its own items in a list page ({@code GET /v1/files}, {@code GET /v1/messages/batches}):
 * {@code data} keeps the items whose {@code id} the tenant owns, byte for byte as the upstream sent them;
 * {@code first_id} and {@code last_id} name the first and last item kept (null when none); {@code next_page},
 * when it is an id cursor pointing at an item of this page, becomes {@code last_id}. {@code has_more} stays the
 * upstream's. Every other member passes unchanged. Fail closed: a page that is not the expected shape, or too
 * large to hold, is replaced by an empty one.
 */
final class ListPageFilter extends HeldBody {
    private static final Logger LOG = LoggerFactory.getLogger(ListPageFilter.class);
    private static final JsonFactory JSON = new JsonFactory();
    private static final int LIMIT = 32 * 1024 * 1024;
    static final byte[] EMPTY_PAGE = "{\"data\":[],\"has_more\":false,\"first_id\":null,\"last_id\":null}"
            .getBytes(StandardCharsets.UTF_8);

    private final OwnershipIndex index;
    private final String kind;
    private final String tenant;
    private final String requestId;

    ListPageFilter(OwnershipIndex index, String kind, String tenant, String requestId) {
        super(LIMIT);
        this.index = index;
        this.kind = kind;
        this.tenant = tenant;
        this.requestId = requestId;
    }

    /** A span of the upstream body to replace: value bytes {@code [start, end)} of a top-level member. */
    private record Span(String member, int start, int end) {
    }

    @Override
    byte[] rewrite(byte[] body, int length) {
        try {
            return filter(body, length);
        } catch (IOException | RuntimeException e) {
            LOG.warn("{} list page not understood ({}); an empty page was sent instead", requestId,
                    e.getClass().getSimpleName());
            return EMPTY_PAGE;
        }
    }

    @Override
    byte[] overflow() {
        LOG.warn("{} list page over {} bytes; an empty page was sent instead", requestId, LIMIT);
        return EMPTY_PAGE;
    }

    private byte[] filter(byte[] body, int length) throws IOException {
        List<Span> spans = new ArrayList<>();
        List<int[]> kept = new ArrayList<>();
        List<String> keptIds = new ArrayList<>();
        List<String> pageIds = new ArrayList<>();
        String nextPage = null;
        try (JsonParser p = JSON.createParser(body, 0, length)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new IOException("not an object");
            }
            JsonToken t;
            while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken v = p.nextToken();
                int start = (int) p.currentTokenLocation().getByteOffset();
                switch (name) {
                    case "data":
                        if (v != JsonToken.START_ARRAY) {
                            throw new IOException("data is not an array");
                        }
                        items(p, kept, keptIds, pageIds);
                        spans.add(new Span(name, start, end(p)));
                        break;
                    case "first_id":
                    case "last_id":
                    case "next_page":
                        if (v == JsonToken.VALUE_STRING && name.equals("next_page")) {
                            nextPage = p.getText();
                        } else if (v == JsonToken.VALUE_STRING) {
                            p.getText(); // completes the token, so the location is after its closing quote
                        } else {
                            p.skipChildren();
                        }
                        spans.add(new Span(name, start, end(p)));
                        break;
                    default:
                        p.skipChildren();
                        break;
                }
            }
            if (t != JsonToken.END_OBJECT) {
                throw new IOException("malformed page");
            }
        }
        if (spans.stream().noneMatch(s -> s.member().equals("data"))) {
            throw new IOException("no data member");
        }
        String first = keptIds.isEmpty() ? null : keptIds.get(0);
        String last = keptIds.isEmpty() ? null : keptIds.get(keptIds.size() - 1);
        ByteArrayOutputStream out = new ByteArrayOutputStream(length);
        int at = 0;
        for (Span s : spans) {
            out.write(body, at, s.start() - at);
            switch (s.member()) {
                case "data" -> {
                    out.write('[');
                    for (int i = 0; i < kept.size(); i++) {
                        if (i > 0) {
                            out.write(',');
                        }
                        out.write(body, kept.get(i)[0], kept.get(i)[1] - kept.get(i)[0]);
                    }
                    out.write(']');
                }
                case "first_id" -> out.writeBytes(idOrNull(first));
                case "last_id" -> out.writeBytes(idOrNull(last));
                default -> // next_page: an id cursor from this page leaks that id; an opaque cursor passes
                        out.writeBytes(nextPage != null && pageIds.contains(nextPage) ? idOrNull(last)
                                : java.util.Arrays.copyOfRange(body, s.start(), s.end()));
            }
            at = s.end();
        }
        out.write(body, at, length - at);
        return out.toByteArray();
    }

    /** Walks the {@code data} array; keeps the byte range of each object item the tenant owns. */
    private void items(JsonParser p, List<int[]> kept, List<String> keptIds, List<String> pageIds) throws IOException {
        JsonToken t;
        while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
            int start = (int) p.currentTokenLocation().getByteOffset();
            if (t != JsonToken.START_OBJECT) {
                p.skipChildren(); // not an item the mirror understands: never shown
                continue;
            }
            String id = null;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken v = p.nextToken();
                if (id == null && "id".equals(name) && v == JsonToken.VALUE_STRING) {
                    id = p.getText();
                } else {
                    p.skipChildren();
                }
            }
            int end = end(p);
            if (id != null) {
                pageIds.add(id);
                if (tenant != null && tenant.equals(index.owner(kind, id))) {
                    kept.add(new int[] {start, end});
                    keptIds.add(id);
                }
            }
        }
    }

    private static int end(JsonParser p) {
        return (int) p.currentLocation().getByteOffset();
    }

    private static byte[] idOrNull(String id) {
        if (id == null) {
            return "null".getBytes(StandardCharsets.UTF_8);
        }
        StringBuilder sb = new StringBuilder(id.length() + 2);
        Json.quote(sb, id);
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }
}
