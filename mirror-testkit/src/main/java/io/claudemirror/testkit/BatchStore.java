package io.claudemirror.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.eclipse.jetty.util.Fields;

/**
 * Message Batches (§1, §7.6): a created batch has already {@code ended}, every request succeeded with the same echo
 * reply {@code POST /v1/messages} would give, and {@code results_url} is absolute on this fake, as the real API's is
 * on api.anthropic.com (a mirror has to rewrite it).
 */
final class BatchStore {

    private record Batch(ObjectNode json, byte[] results) { }

    private final FakeAnthropic fake;
    private final Map<String, Batch> batches = new LinkedHashMap<>(); // guarded by itself; insertion = age order

    BatchStore(FakeAnthropic fake) {
        this.fake = fake;
    }

    /** @param rest the path after {@code /v1/messages/batches}: "", "/{id}", "/{id}/cancel" or "/{id}/results" */
    void handle(Exchange exchange, String method, String rest, byte[] body, Fields query) {
        if (rest.isEmpty() || rest.equals("/")) {
            if (method.equals("POST")) {
                create(exchange, body);
            } else if (method.equals("GET")) {
                exchange.sendJson(200, Pages.page(newestFirst(), query));
            } else {
                FakeHandler.notFound(exchange);
            }
            return;
        }
        String[] parts = rest.substring(1).split("/", -1);
        Batch batch = get(parts[0]);
        if (batch == null || parts.length > 2) {
            exchange.sendError(404, "not_found_error", "message_batch: " + parts[0] + " not found");
        } else if (parts.length == 1 && method.equals("GET")) {
            exchange.sendJson(200, batch.json());
        } else if (parts.length == 1 && method.equals("DELETE")) {
            synchronized (batches) {
                batches.remove(parts[0]);
            }
            exchange.sendJson(200, Wire.JSON.createObjectNode()
                    .put("id", parts[0]).put("type", "message_batch_deleted"));
        } else if (parts.length == 2 && parts[1].equals("cancel") && method.equals("POST")) {
            exchange.sendJson(200, batch.json()); // already ended: cancelling changes nothing
        } else if (parts.length == 2 && parts[1].equals("results") && method.equals("GET")) {
            exchange.send(200, "application/binary", batch.results());
        } else {
            FakeHandler.notFound(exchange);
        }
    }

    private void create(Exchange exchange, byte[] body) {
        JsonNode requests = FakeHandler.parse(body).path("requests");
        if (!requests.isArray() || requests.isEmpty()) {
            exchange.sendError(400, "invalid_request_error", "requests: Field required");
            return;
        }
        ByteArrayOutputStream jsonl = new ByteArrayOutputStream();
        for (JsonNode entry : requests) {
            JsonNode params = entry.path("params");
            if (!entry.path("custom_id").isTextual() || !params.isObject()) {
                exchange.sendError(400, "invalid_request_error", "requests: each entry needs custom_id and params");
                return;
            }
            Reply reply = Reply.to(params, Wire.bytes(params).length, fake.responseText());
            ObjectNode line = Wire.JSON.createObjectNode().put("custom_id", entry.path("custom_id").asText());
            line.putObject("result").put("type", "succeeded").set("message", reply.message());
            jsonl.writeBytes(Wire.bytes(line));
            jsonl.write('\n');
        }
        String id = Wire.batchId();
        Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
        ObjectNode json = Wire.JSON.createObjectNode()
                .put("id", id)
                .put("type", "message_batch")
                .put("processing_status", "ended");
        json.putObject("request_counts")
                .put("processing", 0).put("succeeded", requests.size())
                .put("errored", 0).put("canceled", 0).put("expired", 0);
        json.put("ended_at", now.toString())
                .put("created_at", now.toString())
                .put("expires_at", now.plus(24, ChronoUnit.HOURS).toString())
                .putNull("archived_at")
                .putNull("cancel_initiated_at")
                .put("results_url", fake.baseUrl() + "/v1/messages/batches/" + id + "/results");
        synchronized (batches) {
            batches.put(id, new Batch(json, jsonl.toByteArray()));
        }
        exchange.sendJson(200, json);
    }

    private Batch get(String id) {
        synchronized (batches) {
            return batches.get(id);
        }
    }

    private List<ObjectNode> newestFirst() {
        List<ObjectNode> list = new ArrayList<>();
        synchronized (batches) {
            for (Batch batch : batches.values()) {
                list.add(0, batch.json());
            }
        }
        return list;
    }
}
