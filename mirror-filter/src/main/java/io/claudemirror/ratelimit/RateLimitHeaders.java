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

    // Full header names, built once: these are written on every response.
    private static final String[][] NAMES = {names(REQUESTS), names(INPUT_TOKENS), names(OUTPUT_TOKENS),
        names(TOKENS_PER_DAY)};

    /** The last formatted second; resets fall on few distinct seconds, so most lookups hit. */
    private static volatile Formatted lastFormatted = new Formatted(Long.MIN_VALUE, "");

    private record Formatted(long second, String text) {
    }

    private RateLimitHeaders() {
    }

    private static String[] names(String prefix) {
        return new String[] {prefix + "limit", prefix + "remaining", prefix + "reset"};
    }

    /** Sets (replacing) the headers of every limit present in {@code headroom}. */
    public static void write(HttpServletResponse response, Headroom headroom) {
        write(response, NAMES[0], headroom.requests());
        write(response, NAMES[1], headroom.inputTokens());
        write(response, NAMES[2], headroom.outputTokens());
        write(response, NAMES[3], headroom.tokensPerDay());
    }

    private static void write(HttpServletResponse response, String[] names, Headroom.Quota quota) {
        if (quota == null) {
            return;
        }
        // setHeader scans every header already set, once per call; a group is written together, so one look
        // tells whether it is there to replace, else its three headers are appended.
        boolean replace = response.containsHeader(names[0]);
        put(response, names[0], Long.toString(quota.limit()), replace);
        put(response, names[1], Long.toString(quota.remaining()), replace);
        put(response, names[2], rfc3339(quota.resetEpochNanos()), replace);
    }

    private static void put(HttpServletResponse response, String name, String value, boolean replace) {
        if (replace) {
            response.setHeader(name, value);
        } else {
            response.addHeader(name, value);
        }
    }

    /** {@code 2026-01-02T03:04:05Z}: the instant rounded up to a whole second. */
    static String rfc3339(long epochNanos) {
        long seconds = Math.floorDiv(epochNanos, 1_000_000_000L);
        if (Math.floorMod(epochNanos, 1_000_000_000L) != 0) {
            seconds++;
        }
        Formatted last = lastFormatted;
        if (last.second() == seconds) {
            return last.text();
        }
        // Instant.toString is ISO_INSTANT, which omits the fraction when it is zero.
        String text = Instant.ofEpochSecond(seconds).toString();
        lastFormatted = new Formatted(seconds, text);
        return text;
    }
}
