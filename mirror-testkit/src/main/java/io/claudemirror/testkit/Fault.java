package io.claudemirror.testkit;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A failure the fake injects instead of (or into) its normal answer. Immutable; build one with the static
 * factories and refine it with {@link #onPath}, {@link #retryAfter} or {@link #withHeader}, which return copies.
 *
 * <p>Two families exist:
 * <ul>
 *   <li><b>Pre-response faults</b> ({@link #status}, {@link #rawStatus}, {@link #resetBeforeHeaders}, {@link #hang},
 *       {@link #delay}) match any request.</li>
 *   <li><b>Stream faults</b> ({@link #midStreamError}, {@link #dropMidStream}, {@link #stall}) only match streaming
 *       {@code POST /v1/messages} requests ({@code "stream": true}); other requests leave them queued. They act after
 *       {@code afterEvents} scripted SSE events were written; when the stream has fewer events they act after the
 *       last one (before the terminating chunk).</li>
 * </ul>
 *
 * <p>For each request the fake takes the first matching queued fault, else uses the default fault if it matches.
 * A queued stream fault whose request is rejected before streaming starts (missing {@code anthropic-version}, wrong
 * key) goes back to the head of the queue.
 *
 * @see FakeAnthropic#enqueue(Fault)
 * @see FakeAnthropic#setDefaultFault(Fault)
 */
public final class Fault {

    enum Kind {
        STATUS, RAW, RESET, HANG, DELAY, MID_STREAM_ERROR, DROP_MID_STREAM, STALL;

        boolean streamOnly() {
            return this == MID_STREAM_ERROR || this == DROP_MID_STREAM || this == STALL;
        }
    }

    final Kind kind;
    final int status;
    final String errorType;
    final String message;
    final String contentType;
    final byte[] rawBody;
    /** Value of {@code retry-after}, or {@code null} for none. */
    final String retryAfter;
    final String pathPrefix;
    final Duration duration;
    final int afterEvents;
    final Map<String, String> extraHeaders;

    private Fault(Kind kind, int status, String errorType, String message, String contentType, byte[] rawBody,
                  String retryAfter, String pathPrefix, Duration duration, int afterEvents,
                  Map<String, String> extraHeaders) {
        this.kind = kind;
        this.status = status;
        this.errorType = errorType;
        this.message = message;
        this.contentType = contentType;
        this.rawBody = rawBody;
        this.retryAfter = retryAfter;
        this.pathPrefix = pathPrefix;
        this.duration = duration;
        this.afterEvents = afterEvents;
        this.extraHeaders = extraHeaders;
    }

    private static Fault of(Kind kind) {
        return new Fault(kind, 0, null, null, null, null, null, null, null, 0, Map.of());
    }

    /**
     * An HTTP error with the real envelope {@code {"type":"error","error":{"type","message"},"request_id"}} whose
     * {@code request_id} equals the {@code request-id} header. 429 and 529 also get {@code retry-after: 1}.
     */
    public static Fault status(int status, String errorType, String message) {
        checkStatus(status);
        Objects.requireNonNull(errorType, "errorType");
        Objects.requireNonNull(message, "message");
        String retryAfter = status == 429 || status == 529 ? "1" : null;
        return new Fault(Kind.STATUS, status, errorType, message, null, null, retryAfter, null, null, 0, Map.of());
    }

    /** Overrides the {@code retry-after} header value ({@code null} removes the header). */
    public Fault retryAfter(String value) {
        return new Fault(kind, status, errorType, message, contentType, rawBody, value, pathPrefix, duration,
                afterEvents, extraHeaders);
    }

    /** Restricts the fault to requests whose path starts with {@code pathPrefix}, e.g. {@code /v1/messages}. */
    public Fault onPath(String pathPrefix) {
        return new Fault(kind, status, errorType, message, contentType, rawBody, retryAfter,
                Objects.requireNonNull(pathPrefix, "pathPrefix"), duration, afterEvents, extraHeaders);
    }

    /**
     * Adds a response header to a {@link #status} or {@link #rawStatus} fault, e.g.
     * {@code withHeader("x-should-retry", "false")} (§7.1 of the wire notes). Later values replace earlier ones.
     */
    public Fault withHeader(String name, String value) {
        Map<String, String> headers = new LinkedHashMap<>(extraHeaders);
        headers.put(Objects.requireNonNull(name, "name"), Objects.requireNonNull(value, "value"));
        return new Fault(kind, status, errorType, message, contentType, rawBody, retryAfter, pathPrefix, duration,
                afterEvents, Map.copyOf(headers));
    }

    /** An HTTP response with exactly this status, content type and body (UTF-8), plus the usual fake headers. */
    public static Fault rawStatus(int status, String contentType, String body) {
        checkStatus(status);
        byte[] bytes = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
        return new Fault(Kind.RAW, status, null, null, contentType, bytes, null, null, null, 0, Map.of());
    }

    /** Resets the TCP connection (RST) before any response byte, so the client sees a connection failure. */
    public static Fault resetBeforeHeaders() {
        return of(Kind.RESET);
    }

    /**
     * Never answers: the request stays open without a byte until the client goes away (counted as a client abort)
     * or the fake is closed.
     */
    public static Fault hang() {
        return of(Kind.HANG);
    }

    /** Waits {@code d} before answering normally (a client leaving meanwhile counts as a client abort). */
    public static Fault delay(Duration d) {
        return new Fault(Kind.DELAY, 0, null, null, null, null, null, null, requireNonNegative(d), 0, Map.of());
    }

    /**
     * After {@code afterEvents} SSE events, sends {@code event: error} with an error envelope of this type
     * (message {@code Overloaded} for {@code overloaded_error}, etc.), then ends the response cleanly.
     */
    public static Fault midStreamError(int afterEvents, String errorType) {
        return new Fault(Kind.MID_STREAM_ERROR, 200, Objects.requireNonNull(errorType, "errorType"),
                defaultMessage(errorType), null, null, null, null, null, requireNonNegative(afterEvents), Map.of());
    }

    /** After {@code afterEvents} SSE events, resets the connection: no terminating chunk, no further bytes. */
    public static Fault dropMidStream(int afterEvents) {
        return new Fault(Kind.DROP_MID_STREAM, 0, null, null, null, null, null, null, null,
                requireNonNegative(afterEvents), Map.of());
    }

    /**
     * After {@code afterEvents} SSE events, pauses for {@code d} (sending {@code ping} events at the
     * {@linkplain FakeAnthropic#pingInterval ping interval} if one is set), then continues normally.
     */
    public static Fault stall(int afterEvents, Duration d) {
        return new Fault(Kind.STALL, 0, null, null, null, null, null, null, requireNonNegative(d),
                requireNonNegative(afterEvents), Map.of());
    }

    boolean matches(String path, boolean streamingMessages) {
        if (pathPrefix != null && !path.startsWith(pathPrefix)) {
            return false;
        }
        return !kind.streamOnly() || streamingMessages;
    }

    /** The message the real API uses for each error type (wire notes §5-6; some wording is the fake's own). */
    static String defaultMessage(String errorType) {
        switch (errorType) {
            case "overloaded_error": return "Overloaded";
            case "api_error": return "Internal server error";
            case "rate_limit_error": return "Number of request tokens has exceeded your per-minute rate limit";
            case "timeout_error": return "Request timeout";
            case "authentication_error": return "invalid x-api-key";
            case "permission_error": return "Your API key does not have permission to use the specified resource.";
            case "not_found_error": return "Not found";
            case "request_too_large": return "Request exceeds the maximum allowed number of bytes.";
            case "billing_error": return "Your credit balance is too low to access the Anthropic API.";
            default: return "Invalid request";
        }
    }

    private static void checkStatus(int status) {
        if (status < 100 || status > 999) {
            throw new IllegalArgumentException("not an HTTP status: " + status);
        }
    }

    private static int requireNonNegative(int n) {
        if (n < 0) {
            throw new IllegalArgumentException("afterEvents must be >= 0: " + n);
        }
        return n;
    }

    private static Duration requireNonNegative(Duration d) {
        if (d == null || d.isNegative()) {
            throw new IllegalArgumentException("duration must be >= 0: " + d);
        }
        return d;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("Fault.").append(kind);
        switch (kind) {
            case STATUS: sb.append('(').append(status).append(' ').append(errorType).append(')'); break;
            case RAW: sb.append('(').append(status).append(' ').append(contentType).append(')'); break;
            case DELAY: sb.append('(').append(duration).append(')'); break;
            case MID_STREAM_ERROR: sb.append("(after ").append(afterEvents).append(", ").append(errorType).append(')'); break;
            case DROP_MID_STREAM: sb.append("(after ").append(afterEvents).append(')'); break;
            case STALL: sb.append("(after ").append(afterEvents).append(", ").append(duration).append(')'); break;
            default: break;
        }
        if (pathPrefix != null) {
            sb.append(" on ").append(pathPrefix);
        }
        return sb.toString();
    }
}
