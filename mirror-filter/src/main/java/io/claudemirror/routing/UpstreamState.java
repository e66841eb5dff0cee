package io.claudemirror.routing;

import io.claudemirror.config.MirrorConfig.Routing;
import io.claudemirror.config.MirrorConfig.Upstream;
import java.time.Clock;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Live state of one upstream: its circuit breaker, latency average, requests in flight, quota pause and pacing
 * slot, plus the counters the health view and the metrics show. Times are read from the pool's injected clocks.
 */
public final class UpstreamState {
    private final Upstream upstream;
    private final int index;
    private final LongSupplier nanos;
    private final Clock wall;
    private final CircuitBreaker breaker;
    private final PeakEwma latency;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicLong lastSuccessMillis = new AtomicLong();
    private final AtomicLong lastFailureMillis = new AtomicLong();
    private final AtomicLong requests = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();
    private final AtomicLong quotaHits = new AtomicLong();
    private final AtomicLong pacingRefusals = new AtomicLong();
    private volatile String lastFailure;
    private volatile boolean paused;
    private volatile long pausedUntilNanos;
    private volatile long pausedUntilMillis;
    private final long minIntervalNanos;
    private final AtomicLong nextSlotNanos = new AtomicLong(Long.MIN_VALUE);
    /** Slots given back by requests whose client left while they waited; reused before the tail grows. */
    private final java.util.concurrent.ConcurrentSkipListSet<Long> returnedSlots =
            new java.util.concurrent.ConcurrentSkipListSet<>();
    /** Cluster mode: pacing slots shared with the other nodes (null: this node's own). */
    volatile SharedRouting shared;

    /** With default routing settings and the system clocks. */
    UpstreamState(Upstream upstream) {
        this(upstream, 0, Routing.DEFAULTS, System::nanoTime, Clock.systemUTC());
    }

    UpstreamState(Upstream upstream, int index, Routing routing, LongSupplier nanos, Clock wall) {
        this.upstream = upstream;
        this.index = index;
        this.nanos = nanos;
        this.wall = wall;
        this.breaker = new CircuitBreaker(routing.consecutiveFailures(), routing.errorRatePercent(),
                routing.minRequests(), routing.window().toNanos(), routing.cooldown().toNanos(),
                routing.maxCooldown().toNanos(), nanos);
        this.latency = new PeakEwma(routing.latencyDecay().toNanos());
        this.minIntervalNanos = upstream.minInterval().toNanos();
    }

    /**
     * Pacing ({@code minInterval}): reserves the next send slot toward this upstream and returns how long the
     * caller must wait, in nanoseconds (0 without pacing); reserves nothing and returns -1 when the wait would
     * exceed {@code maxWaitNanos}, so the queue toward a paced upstream stays bounded and the caller answers 529
     * (or tries another upstream) instead of holding the request for minutes.
     */
    public long reserveSendSlot(long maxWaitNanos) {
        long now = nanos.getAsLong();
        long slot = reserveSlot(now, maxWaitNanos);
        return slot == NO_PACING ? 0 : slot == REFUSED ? -1 : slot - now;
    }

    /** {@link #reserveSlot(long, long)}: no pacing is configured for this upstream. */
    public static final long NO_PACING = Long.MIN_VALUE;
    /** {@link #reserveSlot(long, long)}: the wait would exceed the bound; nothing was reserved. */
    public static final long REFUSED = Long.MIN_VALUE + 1;

    /**
     * Reserves the next send slot at or after {@code now} (the pool's clock, {@link UpstreamPool#nanoTime()}) and
     * returns its time, {@link #NO_PACING} or {@link #REFUSED}. A slot a departed client gave back
     * ({@link #returnSendSlot}) and still ahead is taken first.
     */
    public long reserveSlot(long now, long maxWaitNanos) {
        if (minIntervalNanos <= 0) {
            return NO_PACING;
        }
        SharedRouting shared = this.shared;
        if (shared != null) {
            try {
                long waitMillis = shared.reserveSendSlot(upstream.name(), Math.max(1, minIntervalNanos / 1_000_000),
                        maxWaitNanos == Long.MAX_VALUE ? Long.MAX_VALUE : maxWaitNanos / 1_000_000);
                if (waitMillis < 0) {
                    pacingRefusals.incrementAndGet();
                    return REFUSED;
                }
                return now + waitMillis * 1_000_000;
            } catch (RuntimeException e) {
                // The shared store cannot answer: pace on this node's own slots for this request.
            }
        }
        if (!returnedSlots.isEmpty()) {
            for (Long r = returnedSlots.ceiling(now); r != null; r = returnedSlots.ceiling(now)) {
                if (r - now > maxWaitNanos) {
                    break;
                }
                if (returnedSlots.remove(r)) {
                    return r;
                }
            }
            // Slots in the past can no longer be used without crowding the next one.
            returnedSlots.headSet(now).clear();
        }
        while (true) {
            long next = nextSlotNanos.get();
            long slot = next == Long.MIN_VALUE || next - now < 0 ? now : next;
            if (slot - now > maxWaitNanos) {
                pacingRefusals.incrementAndGet();
                return REFUSED;
            }
            if (nextSlotNanos.compareAndSet(next, slot + minIntervalNanos)) {
                return slot;
            }
        }
    }

    /**
     * Gives back the slot reserved for {@code slotNanos} ({@code now + wait} when reserved): the request's client
     * left before it was sent. The last slot of the queue shortens it; any other is offered to the next request,
     * so clients that gave up do not make the ones behind them wait (issue 7, probe 5).
     */
    public void returnSendSlot(long slotNanos) {
        if (minIntervalNanos <= 0 || shared != null) {
            return; // cluster mode: the shared queue is a time on Redis that other nodes already moved past
        }
        if (!nextSlotNanos.compareAndSet(slotNanos + minIntervalNanos, slotNanos)) {
            returnedSlots.add(slotNanos);
        }
    }

    public Upstream upstream() {
        return upstream;
    }

    /** Position in the configured list (bit {@code index} of a tried mask). */
    public int index() {
        return index;
    }

    public String region() {
        return upstream.region();
    }

    /** The upstream answered: counts as alive for the breaker. */
    public void recordSuccess() {
        requests.incrementAndGet();
        breaker.onSuccess();
        lastSuccessMillis.set(wall.millis());
    }

    /** {@code reason} is a short, credential-free description (exception class or status). */
    public void recordFailure(String reason) {
        requests.incrementAndGet();
        failures.incrementAndGet();
        breaker.onFailure();
        lastFailureMillis.set(wall.millis());
        lastFailure = reason;
    }

    void recordLatency(long ttfbNanos) {
        latency.observe(ttfbNanos, nanos.getAsLong());
    }

    /** Rests the upstream until {@code untilNanos} (never shortens a pause already in force). */
    void pauseUntil(long untilNanos) {
        quotaHits.incrementAndGet();
        synchronized (this) {
            long now = nanos.getAsLong();
            if (!paused || untilNanos - pausedUntilNanos > 0) {
                pausedUntilNanos = untilNanos;
                pausedUntilMillis = wall.millis() + Math.max(0, (untilNanos - now) / 1_000_000);
                paused = true;
            }
        }
    }

    /** Whether its own quota is spent (the upstream rests until {@link #pausedUntilMillis()}). */
    public boolean paused() {
        return paused && pausedUntilNanos - nanos.getAsLong() > 0;
    }

    /** Not open in the breaker (an open one whose cooldown has passed counts: its trial is due). */
    public boolean healthy() {
        return breaker.available();
    }

    /** Healthy and not resting on a spent quota. */
    boolean usable() {
        return !paused() && breaker.available();
    }

    /** When this upstream may be tried again (clock nanos), for the least-bad choice; {@code now} if already. */
    long availableAt(long now) {
        long at = now;
        if (paused && pausedUntilNanos - at > 0) {
            at = pausedUntilNanos;
        }
        if (breaker.state() == CircuitBreaker.State.OPEN && breaker.openUntil() - at > 0) {
            at = breaker.openUntil();
        }
        return at;
    }

    double score(long now) {
        return latency.score(now, inFlight.get());
    }

    CircuitBreaker breaker() {
        return breaker;
    }

    void begin() {
        inFlight.incrementAndGet();
    }

    void end() {
        inFlight.decrementAndGet();
    }

    public CircuitBreaker.State breakerState() {
        return breaker.state();
    }

    /** Peak-EWMA of time to first byte, in milliseconds, decayed to now. */
    public double latencyEwmaMillis() {
        return latency.value(nanos.getAsLong()) / 1e6;
    }

    public int inFlight() {
        return inFlight.get();
    }

    /** Wall-clock end of the quota pause in epoch millis, or 0 when not paused. */
    public long pausedUntilMillis() {
        return paused() ? pausedUntilMillis : 0;
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
        return breaker.consecutiveFailures();
    }

    public long requests() {
        return requests.get();
    }

    public long failures() {
        return failures.get();
    }

    /** Responses that said its quota was spent (429, or a {@code -remaining: 0} header). */
    public long quotaHits() {
        return quotaHits.get();
    }

    /** Requests refused because their pacing slot lay beyond {@code routing.maxPacingWait}. */
    public long pacingRefusals() {
        return pacingRefusals.get();
    }
}
