package io.claudemirror.testkit;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.eclipse.jetty.util.Fields;

/**
 * Files API (§1): multipart upload (field {@code file}), list, metadata, content, delete. Uploaded files report
 * {@code downloadable: false} like user uploads on the real API, but the fake serves their content anyway so tests
 * can check that bytes survived the trip.
 */
final class FileStore {

    private record StoredFile(ObjectNode metadata, String mimeType, byte[] content) { }

    private final Map<String, StoredFile> files = new LinkedHashMap<>(); // guarded by itself; insertion = age order

    /** @param rest the path after {@code /v1/files}: "", "/{id}" or "/{id}/content" */
    void handle(Exchange exchange, String method, String rest, String contentType, byte[] body, Fields query) {
        if (rest.isEmpty() || rest.equals("/")) {
            if (method.equals("POST")) {
                upload(exchange, contentType, body);
            } else if (method.equals("GET")) {
                exchange.sendJson(200, Pages.page(newestFirst(), query));
            } else {
                FakeHandler.notFound(exchange);
            }
            return;
        }
        String[] parts = rest.substring(1).split("/", -1);
        StoredFile file = get(parts[0]);
        if (file == null || parts.length > 2) {
            exchange.sendError(404, "not_found_error", "File not found: " + parts[0]);
        } else if (parts.length == 1 && method.equals("GET")) {
            exchange.sendJson(200, file.metadata());
        } else if (parts.length == 1 && method.equals("DELETE")) {
            synchronized (files) {
                files.remove(parts[0]);
            }
            exchange.sendJson(200, Wire.JSON.createObjectNode().put("id", parts[0]).put("type", "file_deleted"));
        } else if (parts.length == 2 && parts[1].equals("content") && method.equals("GET")) {
            exchange.send(200, file.mimeType(), file.content());
        } else {
            FakeHandler.notFound(exchange);
        }
    }

    private void upload(Exchange exchange, String contentType, byte[] body) {
        String boundary = Multipart.boundary(contentType);
        if (boundary == null) {
            exchange.sendError(400, "invalid_request_error", "Expected a multipart/form-data request body");
            return;
        }
        Multipart.Part filePart = null;
        for (Multipart.Part part : Multipart.parse(body, boundary)) {
            if ("file".equals(part.name())) {
                filePart = part;
                break;
            }
        }
        if (filePart == null) {
            exchange.sendError(400, "invalid_request_error", "file: Field required");
            return;
        }
        String id = Wire.fileId();
        String mimeType = filePart.contentType() == null ? "application/octet-stream" : filePart.contentType();
        String filename = filePart.filename() == null ? "upload" : filePart.filename();
        ObjectNode metadata = Wire.JSON.createObjectNode()
                .put("id", id)
                .put("type", "file")
                .put("filename", filename)
                .put("mime_type", mimeType)
                .put("size_bytes", filePart.content().length)
                .put("created_at", Instant.now().truncatedTo(ChronoUnit.MILLIS).toString())
                .put("downloadable", false);
        synchronized (files) {
            files.put(id, new StoredFile(metadata, mimeType, filePart.content()));
        }
        exchange.sendJson(200, metadata);
    }

    private StoredFile get(String id) {
        synchronized (files) {
            return files.get(id);
        }
    }

    private List<ObjectNode> newestFirst() {
        List<ObjectNode> list = new ArrayList<>();
        synchronized (files) {
            for (StoredFile file : files.values()) {
                list.add(0, file.metadata());
            }
        }
        return list;
    }
}
