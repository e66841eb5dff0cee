package io.claudemirror.ratelimit;

import jakarta.servlet.http.HttpServletResponse;
import java.time.Instant;

/**
 * Writes a tenant's headroom as the headers the Anthropic API uses, so the SDKs and Claude Code see the limits
 * that apply to them (the upstream's own {@code anthropic-ratelimit-*} describe the mirror's shared upstream
 * key and are dropped by the proxy). {@code reset} is RFC 3339 UTC in whole seconds, rounded up so that the
 * bucket is really full at that instant.
 */
public final class RateLimitHeaders {
    public static final String REQUESTS = "anthropic-ratelimit-requests-";
    public static final String INPUT_TOKENS = "anthropic-ratelimit-input-tokens-";
    public static final String OUTPUT_TOKENS = "anthropic-ratelimit-output-tokens-";
    /** The daily budget has no Anthropic counterpart, so it gets the mirror's own prefix. */
    public static final String TOKENS_PER_DAY = "x-mirror-ratelimit-tokens-per-day-";

    private RateLimitHeaders() {
    }

    /** Sets (replacing) the headers of every limit present in {@code headroom}. */
    public static void write(HttpServletResponse response, Headroom headroom) {
        write(response, REQUESTS, headroom.requests());
        write(response, INPUT_TOKENS, headroom.inputTokens());
        write(response, OUTPUT_TOKENS, headroom.outputTokens());
        write(response, TOKENS_PER_DAY, headroom.tokensPerDay());
    }

    private static void write(HttpServletResponse response, String prefix, Headroom.Quota quota) {
        if (quota == null) {
            return;
        }
        response.setHeader(prefix + "limit", Long.toString(quota.limit()));
        response.setHeader(prefix + "remaining", Long.toString(quota.remaining()));
        response.setHeader(prefix + "reset", rfc3339(quota.resetEpochNanos()));
    }

    /** {@code 2026-01-02T03:04:05Z}: the instant rounded up to a whole second. */
    static String rfc3339(long epochNanos) {
        long seconds = Math.floorDiv(epochNanos, 1_000_000_000L);
        if (Math.floorMod(epochNanos, 1_000_000_000L) != 0) {
            seconds++;
        }
        // Instant.toString is ISO_INSTANT, which omits the fraction when it is zero.
        return Instant.ofEpochSecond(seconds).toString();
    }
}
