package io.claudemirror.routing;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.function.LongSupplier;

/** One manual time source for both of the pool's clocks: nanoseconds and the wall clock move together. */
final class TestClock extends Clock implements LongSupplier {
    static final Instant START = Instant.parse("2026-06-01T12:00:00Z");

    private long nanos = 1_000_000_000L;

    void advance(Duration d) {
        nanos += d.toNanos();
    }

    @Override
    public synchronized long getAsLong() {
        return nanos;
    }

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        return this;
    }

    @Override
    public synchronized Instant instant() {
        return START.plusNanos(nanos - 1_000_000_000L);
    }
}
