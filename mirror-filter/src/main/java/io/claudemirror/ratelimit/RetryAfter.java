package io.claudemirror.ratelimit;

import java.util.concurrent.TimeUnit;

/**
 * Turns a wait into a {@code retry-after} value. Bucket4j reports {@code Long.MAX_VALUE} nanoseconds for a
 * request larger than a bucket's capacity, and its own examples truncate to whole seconds, which tells a client
 * to retry at once ({@code 0}). Here the wait is rounded <em>up</em> and clamped to {@code [1, 60]}: the SDKs
 * sleep for whatever they are told, so a longer value would only pin a client thread; such waits are flagged
 * separately ({@link #worthWaiting}) so the client gets {@code x-should-retry: false} and reads the reset
 * headers instead.
 */
public final class RetryAfter {
    /** Smallest value sent: 0 would make a client retry at once into the same rejection. */
    public static final long MIN_SECONDS = 1;
    /** Largest value sent: the longest per-minute window. */
    public static final long MAX_SECONDS = 60;

    private static final long NANOS_PER_SECOND = TimeUnit.SECONDS.toNanos(1);

    private RetryAfter() {
    }

    /** {@code nanos} rounded up to whole seconds, clamped to {@code [MIN_SECONDS, MAX_SECONDS]}. */
    public static long seconds(long nanos) {
        if (nanos <= 0) {
            return MIN_SECONDS;
        }
        if (nanos >= MAX_SECONDS * NANOS_PER_SECOND) {
            return MAX_SECONDS;
        }
        // Both operands are positive and far from overflow here, so the ceiling division is exact.
        return Math.max(MIN_SECONDS, (nanos + NANOS_PER_SECOND - 1) / NANOS_PER_SECOND);
    }

    /** True when a retry after at most {@link #MAX_SECONDS} can succeed. */
    public static boolean worthWaiting(long nanos) {
        return nanos <= MAX_SECONDS * NANOS_PER_SECOND;
    }
}
