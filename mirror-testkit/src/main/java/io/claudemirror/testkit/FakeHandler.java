package io.claudemirror.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Blocker;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Fields;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The fake's single Jetty handler: reads and records the request, applies faults and checks, then routes.
 * Blocking by design (streams sleep and wait on gates); plain answers are written without blocking.
 */
final class FakeHandler extends Handler.Abstract {

    private static final Logger LOG = LoggerFactory.getLogger(FakeHandler.class);
    private static final String BATCHES = "/v1/messages/batches";
    private static final String MODELS = "/v1/models";
    private static final String FILES = "/v1/files";

    private final FakeAnthropic fake;

    FakeHandler(FakeAnthropic fake) {
        this.fake = fake;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        byte[] body;
        try {
            // Blocking read of the whole body (no size limit): the journal needs the exact bytes anyway.
            body = Blocker.blockWithPromise(promise -> Content.Source.asByteArrayAsync(request, -1, promise));
        } catch (IOException e) {
            callback.failed(e); // the client went away while sending its body
            return true;
        }
        String path = request.getHttpURI().getPath();
        // Counted as active before it is journaled, so a test that saw the request also sees it in activeStreams().
        Exchange exchange = new Exchange(fake, request, response, callback);
        fake.journal().record(record(request, path, body)); // before any response byte, as promised
        try {
            dispatch(exchange, path, body);
        } catch (Throwable t) {
            LOG.warn("fake failed on {} {}", request.getMethod(), path, t);
            if (!exchange.isFinished() && !response.isCommitted()) {
                exchange.sendError(500, "api_error", "Internal server error");
            } else {
                exchange.fail(t); // no-op when already completed
            }
        }
        return true;
    }

    private static RecordedRequest record(Request request, String path, byte[] body) {
        List<Map.Entry<String, String>> headers = new ArrayList<>(request.getHeaders().size());
        for (HttpField field : request.getHeaders()) {
            headers.add(Map.entry(field.getName(), field.getValue() == null ? "" : field.getValue()));
        }
        String remote = Request.getRemoteAddr(request) + ":" + Request.getRemotePort(request);
        return new RecordedRequest(request.getMethod(), path, request.getHttpURI().getQuery(),
                List.copyOf(headers), body, request.getBeginNanoTime(), remote,
                request.getConnectionMetaData().getHttpVersion().asString());
    }

    private void dispatch(Exchange exchange, String path, byte[] body) {
        if (fake.isClosing()) {
            exchange.reset(); // a request (or a client's retry) racing close(): no answer, like a dying server
            return;
        }
        String method = exchange.request.getMethod();
        boolean messages = method.equals("POST") && path.equals("/v1/messages");
        JsonNode json = messages ? parse(body) : MissingNode.getInstance();
        boolean streaming = json.path("stream").asBoolean(false);

        Fault queued = fake.takeQueuedFault(path, streaming);
        Fault fault = queued != null ? queued : fake.defaultFault(path, streaming);
        if (fault != null && !fault.kind.streamOnly()) {
            if (!applyPreResponseFault(exchange, fault)) {
                return;
            }
            fault = null; // a delay that ran out: answer normally
        }
        if (!checkHeaders(exchange, path)) {
            if (queued != null && fault != null) {
                fake.requeue(queued); // the stream never started; keep the fault for the next stream
            }
            return;
        }
        if (messages) {
            messages(exchange, json, body.length, streaming, fault);
        } else {
            route(exchange, method, path, body);
        }
    }

    /** Applies a pre-response fault; returns {@code true} when the request should then be answered normally. */
    private static boolean applyPreResponseFault(Exchange exchange, Fault fault) {
        switch (fault.kind) {
            case STATUS:
                if (fault.retryAfter != null) {
                    exchange.response.getHeaders().put("retry-after", fault.retryAfter);
                }
                exchange.addHeaders(fault.extraHeaders);
                exchange.sendError(fault.status, fault.errorType, fault.message);
                return false;
            case RAW:
                if (fault.retryAfter != null) {
                    exchange.response.getHeaders().put("retry-after", fault.retryAfter);
                }
                exchange.addHeaders(fault.extraHeaders);
                exchange.send(fault.status, fault.contentType, fault.rawBody);
                return false;
            case RESET:
                exchange.reset();
                return false;
            case HANG:
                exchange.hang();
                return false;
            case DELAY:
                exchange.watchPeer();
                if (!exchange.pause(fault.duration)) {
                    exchange.abandon();
                    return false;
                }
                return true;
            default:
                throw new IllegalStateException("not a pre-response fault: " + fault);
        }
    }

    /** {@code anthropic-version} and the credential, on {@code /v1/*} only (HEAD /api/hello comes without key). */
    private boolean checkHeaders(Exchange exchange, String path) {
        if (!path.startsWith("/v1/")) {
            return true;
        }
        Request request = exchange.request;
        if (request.getHeaders().get("anthropic-version") == null) {
            exchange.sendError(400, "invalid_request_error", "anthropic-version: header is required");
            return false;
        }
        if (!fake.acceptsKey(request.getHeaders().get("x-api-key"), request.getHeaders().get("authorization"))) {
            exchange.sendError(401, "authentication_error", "invalid x-api-key");
            return false;
        }
        return true;
    }

    private void messages(Exchange exchange, JsonNode json, int bodyBytes, boolean streaming, Fault streamFault) {
        if (!json.isObject()) {
            exchange.sendError(400, "invalid_request_error",
                    "There was an error parsing the body of your request. Please ensure it is valid JSON.");
            return;
        }
        Reply reply = Reply.to(json, bodyBytes, fake.responseText());
        if (streaming) {
            SseStreamer.stream(exchange, reply, streamFault);
        } else {
            exchange.sendJson(200, reply.message());
        }
    }

    private void route(Exchange exchange, String method, String path, byte[] body) {
        Fields query = Request.extractQueryParameters(exchange.request);
        if (path.equals("/api/hello") && (method.equals("HEAD") || method.equals("GET"))) {
            exchange.send(200, null, new byte[0]); // Claude Code's connection-warming probe (§1)
        } else if (path.equals("/v1/messages/count_tokens") && method.equals("POST")) {
            if (parse(body).isObject()) {
                exchange.sendJson(200, Wire.JSON.createObjectNode().put("input_tokens", Reply.tokens(body.length)));
            } else {
                exchange.sendError(400, "invalid_request_error", "Request body must be a JSON object");
            }
        } else if (path.equals(BATCHES) || path.startsWith(BATCHES + "/")) {
            fake.batches.handle(exchange, method, path.substring(BATCHES.length()), body, query);
        } else if (path.equals(MODELS) && method.equals("GET")) {
            Models.list(exchange, query);
        } else if (path.startsWith(MODELS + "/") && method.equals("GET")) {
            Models.retrieve(exchange, path.substring(MODELS.length() + 1));
        } else if (path.equals(FILES) || path.startsWith(FILES + "/")) {
            String contentType = exchange.request.getHeaders().get("content-type");
            fake.files.handle(exchange, method, path.substring(FILES.length()), contentType, body, query);
        } else {
            notFound(exchange);
        }
    }

    static void notFound(Exchange exchange) {
        exchange.sendError(404, "not_found_error", "Not found");
    }

    static JsonNode parse(byte[] body) {
        try {
            JsonNode node = Wire.JSON.readTree(body);
            return node == null ? MissingNode.getInstance() : node;
        } catch (Exception e) {
            return MissingNode.getInstance();
        }
    }
}
