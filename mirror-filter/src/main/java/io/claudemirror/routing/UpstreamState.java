package io.claudemirror.routing;

import io.claudemirror.config.MirrorConfig.Upstream;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/** Live state of one upstream: its last success and failure, for routing and the health servlet. */
public final class UpstreamState {
    /** Consecutive failures after which the upstream counts as unhealthy until it succeeds again or cools down. */
    static final int FAILURE_THRESHOLD = 3;
    static final long COOL_DOWN_MILLIS = 10_000;

    private final Upstream upstream;
    private final AtomicLong lastSuccessMillis = new AtomicLong();
    private final AtomicLong lastFailureMillis = new AtomicLong();
    private final AtomicInteger consecutiveFailures = new AtomicInteger();
    private final AtomicLong requests = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();
    private volatile String lastFailure;
    private final long minIntervalNanos;
    private final AtomicLong nextSlotNanos = new AtomicLong(Long.MIN_VALUE);

    UpstreamState(Upstream upstream) {
        this.upstream = upstream;
        this.minIntervalNanos = upstream.minInterval().toNanos();
    }

    /**
     * Pacing ({@code minInterval}): reserves the next send slot toward this upstream and returns how long the
     * caller must wait before sending, in nanoseconds (0 when no pacing is configured or the slot is free).
     */
    public long reserveSendSlot() {
        if (minIntervalNanos <= 0) {
            return 0;
        }
        long now = System.nanoTime();
        while (true) {
            long next = nextSlotNanos.get();
            long slot = next == Long.MIN_VALUE || next - now < 0 ? now : next;
            if (nextSlotNanos.compareAndSet(next, slot + minIntervalNanos)) {
                return slot - now;
            }
        }
    }

    public Upstream upstream() {
        return upstream;
    }

    public void recordSuccess() {
        requests.incrementAndGet();
        consecutiveFailures.set(0);
        lastSuccessMillis.set(System.currentTimeMillis());
    }

    /** {@code reason} is a short, credential-free description (exception class or status). */
    public void recordFailure(String reason) {
        requests.incrementAndGet();
        failures.incrementAndGet();
        consecutiveFailures.incrementAndGet();
        lastFailureMillis.set(System.currentTimeMillis());
        lastFailure = reason;
    }

    /** Unhealthy after repeated failures, until a success or a cool-down lets one request probe it again. */
    public boolean healthy() {
        if (consecutiveFailures.get() < FAILURE_THRESHOLD) {
            return true;
        }
        return System.currentTimeMillis() - lastFailureMillis.get() > COOL_DOWN_MILLIS;
    }

    public long lastSuccessMillis() {
        return lastSuccessMillis.get();
    }

    public long lastFailureMillis() {
        return lastFailureMillis.get();
    }

    public String lastFailure() {
        return lastFailure;
    }

    public int consecutiveFailures() {
        return consecutiveFailures.get();
    }

    public long requests() {
        return requests.get();
    }

    public long failures() {
        return failures.get();
    }
}
