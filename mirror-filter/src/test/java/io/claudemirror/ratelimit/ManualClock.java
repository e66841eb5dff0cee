package io.claudemirror.ratelimit;

import io.github.bucket4j.TimeMeter;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;

/** A wall-clock-based Bucket4j time meter that only moves when a test says so. */
final class ManualClock implements TimeMeter {
    /** 2025-06-01T12:00:00Z: mid-day, so the daily budget's midnight is 12 h away. */
    static final Instant NOON = Instant.parse("2025-06-01T12:00:00Z");

    private final AtomicLong nanos;

    ManualClock() {
        this(NOON);
    }

    ManualClock(Instant start) {
        nanos = new AtomicLong(start.getEpochSecond() * 1_000_000_000L + start.getNano());
    }

    void advance(Duration d) {
        nanos.addAndGet(d.toNanos());
    }

    Instant now() {
        long n = nanos.get();
        return Instant.ofEpochSecond(0, n);
    }

    @Override
    public long currentTimeNanos() {
        return nanos.get();
    }

    @Override
    public boolean isWallClockBased() {
        return true;
    }
}
