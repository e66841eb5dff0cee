package io.claudemirror.errors;

import io.claudemirror.exchange.Exchange;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * The one place the mirror writes its own errors, always in the Anthropic envelope with a {@code request-id}
 * header and body field. Never {@code sendError}: that renders the container's HTML page, which no SDK parses.
 */
public final class ErrorResponses {
    public static final String INVALID_REQUEST = "invalid_request_error";
    public static final String AUTHENTICATION = "authentication_error";
    public static final String PERMISSION = "permission_error";
    public static final String NOT_FOUND = "not_found_error";
    public static final String REQUEST_TOO_LARGE = "request_too_large";
    public static final String RATE_LIMIT = "rate_limit_error";
    public static final String API_ERROR = "api_error";
    public static final String TIMEOUT = "timeout_error";
    public static final String OVERLOADED = "overloaded_error";

    private ErrorResponses() {
    }

    /** Writes the envelope; {@code retryAfterSeconds <= 0} means no {@code retry-after} header. */
    public static void write(HttpServletResponse response, Exchange exchange, int status, String type, String message,
                             long retryAfterSeconds) throws IOException {
        if (exchange != null) {
            exchange.status(status);
            exchange.errorType(type);
        }
        if (response.isCommitted()) {
            return;
        }
        String requestId = exchange != null ? exchange.requestId() : "req_mirror";
        response.resetBuffer();
        response.setStatus(status);
        response.setContentType("application/json");
        response.setHeader("request-id", requestId);
        if (retryAfterSeconds > 0) {
            response.setHeader("retry-after", Long.toString(retryAfterSeconds));
        }
        if (status == 413) {
            // The rest of an oversized body is not read; the connection cannot be reused.
            response.setHeader("Connection", "close");
        }
        if (exchange != null) {
            exchange.contributeHeaders(response);
        }
        byte[] body = envelope(type, message, requestId).getBytes(StandardCharsets.UTF_8);
        response.setContentLength(body.length);
        response.getOutputStream().write(body);
        response.flushBuffer();
    }

    /** {@code {"type":"error","error":{"type":…,"message":…},"request_id":…}} */
    public static String envelope(String type, String message, String requestId) {
        StringBuilder sb = new StringBuilder(96 + message.length());
        sb.append("{\"type\":\"error\",\"error\":{\"type\":");
        Json.quote(sb, type);
        sb.append(",\"message\":");
        Json.quote(sb, message);
        sb.append("},\"request_id\":");
        Json.quote(sb, requestId);
        return sb.append('}').toString();
    }

    /** The SSE event that ends a stream the mirror cannot finish (sent after the first byte went out). */
    public static byte[] sseError(String type, String message, String requestId) {
        return ("event: error\ndata: " + envelope(type, message, requestId) + "\n\n").getBytes(StandardCharsets.UTF_8);
    }

    /** The conventional error type for a status. */
    public static String typeFor(int status) {
        switch (status) {
            case 400: return INVALID_REQUEST;
            case 401: return AUTHENTICATION;
            case 403: return PERMISSION;
            case 404: return NOT_FOUND;
            case 413: return REQUEST_TOO_LARGE;
            case 429: return RATE_LIMIT;
            case 504: return TIMEOUT;
            case 529: return OVERLOADED;
            default: return API_ERROR;
        }
    }
}
