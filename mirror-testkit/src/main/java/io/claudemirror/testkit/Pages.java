package io.claudemirror.testkit;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import org.eclipse.jetty.util.Fields;

/**
 * The list-page shape shared by models, batches and files: {@code data}, {@code has_more}, {@code first_id},
 * {@code last_id} (§1), plus {@code next_page} which the current Files API uses as its cursor. Query parameters
 * {@code limit} (default 20, 1-1000), {@code after_id} (or {@code page}) and {@code before_id} are honoured.
 */
final class Pages {

    private Pages() {
    }

    static ObjectNode page(List<ObjectNode> items, Fields query) {
        int limit = Math.max(1, Math.min(1000, intParam(query, "limit", 20)));
        String after = param(query, "after_id");
        if (after == null) {
            after = param(query, "page");
        }
        String before = param(query, "before_id");
        int from = 0;
        int to = items.size();
        if (after != null) {
            from = indexOf(items, after) + 1; // unknown id: -1 + 1 = start of the list
        }
        if (before != null) {
            int i = indexOf(items, before);
            to = i < 0 ? items.size() : i;
            from = Math.max(from, to - limit);
        }
        int end = Math.min(to, from + limit);
        List<ObjectNode> data = items.subList(Math.min(from, end), end);

        ObjectNode page = Wire.JSON.createObjectNode();
        page.putArray("data").addAll(data);
        boolean hasMore = before != null ? from > 0 : end < to;
        page.put("has_more", hasMore);
        putIdOrNull(page, "first_id", data.isEmpty() ? null : data.get(0));
        putIdOrNull(page, "last_id", data.isEmpty() ? null : data.get(data.size() - 1));
        putIdOrNull(page, "next_page", hasMore && !data.isEmpty() ? data.get(data.size() - 1) : null);
        return page;
    }

    private static void putIdOrNull(ObjectNode page, String field, ObjectNode item) {
        if (item == null) {
            page.putNull(field);
        } else {
            page.put(field, item.path("id").asText());
        }
    }

    private static int indexOf(List<ObjectNode> items, String id) {
        for (int i = 0; i < items.size(); i++) {
            if (id.equals(items.get(i).path("id").asText())) {
                return i;
            }
        }
        return -1;
    }

    static String param(Fields query, String name) {
        return query == null ? null : query.getValue(name);
    }

    private static int intParam(Fields query, String name, int fallback) {
        String value = param(query, name);
        try {
            return value == null ? fallback : Integer.parseInt(value);
        } catch (NumberFormatException e) {
            return fallback;
        }
    }
}
