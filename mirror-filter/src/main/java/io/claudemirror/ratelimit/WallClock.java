package io.claudemirror.ratelimit;

import io.github.bucket4j.TimeMeter;

/**
 * Nanoseconds since the epoch that never go backwards: the wall clock read once, then advanced by
 * {@link System#nanoTime()}. Bucket4j needs a wall-clock-based meter for the daily budget's refill at 00:00 UTC,
 * and the reset headers are wall-clock instants; a stepped system clock (NTP) must not refill or drain buckets.
 * Over weeks of uptime the value may drift from the system clock by the oscillator's error (seconds at most),
 * which only shifts the daily reset by as much.
 */
public final class WallClock implements TimeMeter {
    private final long originEpochNanos = System.currentTimeMillis() * 1_000_000L;
    private final long originNanoTime = System.nanoTime();

    @Override
    public long currentTimeNanos() {
        return originEpochNanos + (System.nanoTime() - originNanoTime);
    }

    @Override
    public boolean isWallClockBased() {
        return true;
    }
}
