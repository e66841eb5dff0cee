package io.claudemirror.routing;

import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.function.UnaryOperator;

/**
 * Reads how long an upstream's own quota is spent from its response headers: {@code retry-after} (seconds or an
 * HTTP date) on a 429, and on any response {@code anthropic-ratelimit-{requests,tokens,input-tokens,
 * output-tokens}-remaining: 0} with the matching {@code -reset} time (RFC 3339). The longest applies, capped at
 * {@link #MAX_PAUSE} so a wild header cannot take an upstream out for a day.
 */
public final class QuotaHeaders {
    /** The longest pause any header can cause. */
    public static final Duration MAX_PAUSE = Duration.ofMinutes(10);
    /** The pause after a 429 that says nothing about when to come back. */
    public static final Duration DEFAULT_429_PAUSE = Duration.ofSeconds(1);

    private static final String[] KINDS = {"requests", "tokens", "input-tokens", "output-tokens"};

    private QuotaHeaders() {
    }

    /**
     * The clock time ({@code nowNanos} scale) until which the upstream should rest, or 0 when the response says
     * nothing about a spent quota. {@code header} returns a response header's value or null.
     */
    public static long pauseUntil(UnaryOperator<String> header, int status, long nowNanos, Instant now) {
        long pause = pauseNanos(header, status, now);
        return pause <= 0 ? 0 : nowNanos + pause;
    }

    /** The pause in nanoseconds (0: none). */
    public static long pauseNanos(UnaryOperator<String> header, int status, Instant now) {
        long best = 0;
        if (status == 429) {
            best = Math.max(DEFAULT_429_PAUSE.toNanos(), retryAfter(header.apply("retry-after"), now));
        }
        for (String kind : KINDS) {
            String remaining = header.apply("anthropic-ratelimit-" + kind + "-remaining");
            if (remaining != null && remaining.trim().equals("0")) {
                best = Math.max(best, until(header.apply("anthropic-ratelimit-" + kind + "-reset"), now));
            }
        }
        return Math.min(best, MAX_PAUSE.toNanos());
    }

    /** {@code retry-after} as nanoseconds from now: delta-seconds (fractions accepted) or an HTTP date. */
    static long retryAfter(String value, Instant now) {
        if (value == null || value.isBlank()) {
            return 0;
        }
        String v = value.trim();
        try {
            double seconds = Double.parseDouble(v);
            return seconds > 0 ? (long) (Math.min(seconds, MAX_PAUSE.toSeconds()) * 1e9) : 0;
        } catch (NumberFormatException notNumber) {
            try {
                return positive(Duration.between(now, ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME)));
            } catch (DateTimeParseException e) {
                return 0;
            }
        }
    }

    private static long until(String reset, Instant now) {
        if (reset == null || reset.isBlank()) {
            return 0;
        }
        try {
            return positive(Duration.between(now, OffsetDateTime.parse(reset.trim())));
        } catch (DateTimeParseException e) {
            return 0;
        }
    }

    private static long positive(Duration d) {
        if (d.isNegative() || d.isZero()) {
            return 0;
        }
        return d.compareTo(MAX_PAUSE) > 0 ? MAX_PAUSE.toNanos() : d.toNanos();
    }
}
