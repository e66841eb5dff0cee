package io.claudemirror.testkit;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import org.eclipse.jetty.util.Fields;

/** {@code GET /v1/models} and {@code GET /v1/models/{id}}: three current models, newest first (§1). */
final class Models {

    private static final List<ObjectNode> MODELS = List.of(
            model("claude-opus-4-6", "Claude Opus 4.6", "2026-02-05T00:00:00Z", "opus", 128_000),
            model("claude-sonnet-4-5-20250929", "Claude Sonnet 4.5", "2025-09-29T00:00:00Z", "sonnet", 64_000),
            model("claude-haiku-4-5-20251001", "Claude Haiku 4.5", "2025-10-15T00:00:00Z", "haiku", 64_000));

    private Models() {
    }

    /** The §1 fields plus the newer ones the 3.x Java SDK validates ({@code lifecycle} is required there). */
    private static ObjectNode model(String id, String displayName, String createdAt, String line, int maxTokens) {
        return Wire.JSON.createObjectNode()
                .put("type", "model")
                .put("id", id)
                .put("display_name", displayName)
                .put("created_at", createdAt)
                .put("lifecycle", "active")
                .put("line", line)
                .put("max_input_tokens", 200_000)
                .put("max_tokens", maxTokens);
    }

    static void list(Exchange exchange, Fields query) {
        exchange.sendJson(200, Pages.page(MODELS, query));
    }

    static void retrieve(Exchange exchange, String id) {
        for (ObjectNode model : MODELS) {
            if (model.path("id").asText().equals(id)) {
                exchange.sendJson(200, model);
                return;
            }
        }
        exchange.sendError(404, "not_found_error", "model: " + id);
    }
}
