package io.claudemirror.routing;

import java.util.concurrent.TimeoutException;

/**
 * What one attempt against an upstream came to: the single classification that retry, failover and health all
 * read, so they cannot disagree. Each outcome says whether another upstream may be tried (only ever before the
 * first byte reached the client) and whether it counts against the upstream's health.
 *
 * <p>A 429 is the upstream's quota, not ill health: it pauses that upstream ({@link QuotaHeaders}) and the request
 * may go elsewhere. Any other 4xx is the client's problem: it is passed back and the upstream counts as alive.
 */
public enum UpstreamOutcome {
    /** 1xx–3xx. */
    SUCCESS(false, false),
    /** 4xx other than 429: the request's own fault; passed to the client, the upstream answered fine. */
    CLIENT_ERROR(false, false),
    /** 429: the upstream's quota is spent; try another, pause this one, its health is untouched. */
    QUOTA(true, false),
    /** 500, 502, 503, 504, 529: transient trouble of the upstream; try another. */
    RETRYABLE(true, true),
    /** Any other 5xx (501, 505…): the upstream is unwell, but the same request elsewhere would fare no better. */
    SERVER_ERROR(false, true),
    /** No connection, or the connection failed before the response headers. */
    CONNECT_FAILURE(true, true),
    /** The response headers did not arrive within {@code failover.firstByteTimeout}. */
    FIRST_BYTE_TIMEOUT(true, true),
    /** The idle or total timeout passed before the headers: no time is left to try elsewhere. */
    TIMEOUT(false, true);

    private final boolean retryable;
    private final boolean countsAgainstHealth;

    UpstreamOutcome(boolean retryable, boolean countsAgainstHealth) {
        this.retryable = retryable;
        this.countsAgainstHealth = countsAgainstHealth;
    }

    /** Whether another upstream may take the request (before the first byte went to the client). */
    public boolean retryable() {
        return retryable;
    }

    /** Whether the circuit breaker counts it as a failure. */
    public boolean countsAgainstHealth() {
        return countsAgainstHealth;
    }

    /** The outcome of a response with this status. */
    public static UpstreamOutcome classify(int status) {
        if (status < 400) {
            return SUCCESS;
        }
        if (status == 429) {
            return QUOTA;
        }
        if (status < 500) {
            return CLIENT_ERROR;
        }
        return switch (status) {
            case 500, 502, 503, 504, 529 -> RETRYABLE;
            default -> SERVER_ERROR;
        };
    }

    /** The outcome of an attempt that failed before its response headers arrived. */
    public static UpstreamOutcome classify(Throwable failure) {
        for (Throwable c = failure; c != null; c = c.getCause()) {
            if (c instanceof FirstByteTimeoutException) {
                return FIRST_BYTE_TIMEOUT;
            }
            if (c instanceof TimeoutException) {
                return TIMEOUT;
            }
        }
        return CONNECT_FAILURE;
    }

    /** A short, credential-free reason for logs and the health view. */
    public String reason(int status) {
        return switch (this) {
            case CONNECT_FAILURE -> "connect failure";
            case FIRST_BYTE_TIMEOUT -> "first byte timeout";
            case TIMEOUT -> "timeout";
            default -> "status " + status;
        };
    }
}
