package io.claudemirror.ratelimit;

import io.claudemirror.config.MirrorConfig.Limits;

/**
 * The limits a tenant can have ({@code tenants[].limits.*}), each with the text a rejected client reads. The
 * messages name the limit and its value, never the tenant's keys.
 */
public enum LimitKind {
    REQUESTS("requestsPerMinute"),
    INPUT_TOKENS("inputTokensPerMinute"),
    OUTPUT_TOKENS("outputTokensPerMinute"),
    TOKENS_PER_DAY("tokensPerDay"),
    CONCURRENT("maxConcurrent"),
    /** Cluster mode with {@code redis.failurePolicy: closed}: the shared limits cannot be read, so nothing passes. */
    SHARED_STORE_DOWN("redis.failurePolicy");

    private final String configKey;

    LimitKind(String configKey) {
        this.configKey = configKey;
    }

    /** The key under {@code tenants[].limits} that sets this limit. */
    public String configKey() {
        return configKey;
    }

    /** The configured value of this limit in {@code limits} (0 = unlimited). */
    public long limitIn(Limits limits) {
        switch (this) {
            case REQUESTS: return limits.requestsPerMinute();
            case INPUT_TOKENS: return limits.inputTokensPerMinute();
            case OUTPUT_TOKENS: return limits.outputTokensPerMinute();
            case TOKENS_PER_DAY: return limits.tokensPerDay();
            case SHARED_STORE_DOWN: return 0;
            default: return limits.maxConcurrent();
        }
    }

    /**
     * The error message for a rejection by this limit. {@code satisfiable = false} means the request can never
     * pass (its {@code max_tokens} alone exceeds the limit), which the client must fix rather than wait out.
     */
    public String message(Limits limits, boolean satisfiable, long outputReservation) {
        long limit = limitIn(limits);
        if (!satisfiable) {
            String what = this == TOKENS_PER_DAY ? "your daily budget of " + limit + " tokens"
                    : "your rate limit of " + limit + " output tokens per minute";
            return "max_tokens (" + outputReservation + ") exceeds " + what
                    + "; this request can never be admitted: lower max_tokens";
        }
        switch (this) {
            case REQUESTS:
                return "This request would exceed your rate limit of " + limit + " requests per minute";
            case INPUT_TOKENS:
                return "This request would exceed your rate limit of " + limit + " input tokens per minute";
            case OUTPUT_TOKENS:
                return "This request would exceed your rate limit of " + limit
                        + " output tokens per minute (max_tokens is reserved until the response ends)";
            case TOKENS_PER_DAY:
                return "This request would exceed your daily budget of " + limit + " tokens (resets at 00:00 UTC)";
            case SHARED_STORE_DOWN:
                return "Rate limits cannot be checked right now (the mirror's shared limit store is unreachable); "
                        + "retry shortly";
            default:
                return "Too many concurrent requests: your key allows " + limit + " at a time";
        }
    }
}
