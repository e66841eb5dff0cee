package io.claudemirror.routing;

import java.util.function.LongSupplier;

/**
 * The passive health of one upstream. {@link State#CLOSED} passes every request; it opens after
 * {@code consecutiveFailures} failures in a row, or when {@code errorRatePercent} of the requests in the sliding
 * window failed (once the window holds {@code minRequests}). {@link State#OPEN} refuses requests for a cooldown;
 * then one trial request is let through ({@link State#HALF_OPEN}): its success closes the breaker, its failure
 * opens it again for twice the cooldown, up to {@code maxCooldown}. A trial that never reports (its client left)
 * lapses after the current cooldown, so the breaker cannot stay stuck half-open.
 *
 * <p>All times come from the injected nanosecond clock. Synchronized: one short critical section per attempt.
 */
public final class CircuitBreaker {
    /** The breaker's states, in the order of the numbers the metrics gauge shows (0, 1, 2). */
    public enum State { CLOSED, HALF_OPEN, OPEN }

    private static final int BUCKETS = 10;

    private final int consecutiveThreshold;
    private final int errorRatePercent;
    private final int minRequests;
    private final long bucketNanos;
    private final long baseCooldown;
    private final long maxCooldown;
    private final LongSupplier clock;

    private State state = State.CLOSED;
    private int consecutive;
    private long openUntil;
    private long cooldown;
    private boolean trialInFlight;
    private long trialStarted;
    private int opens;
    private final long[] bucketEpoch = new long[BUCKETS];
    private final int[] bucketOk = new int[BUCKETS];
    private final int[] bucketFailed = new int[BUCKETS];

    public CircuitBreaker(int consecutiveFailures, int errorRatePercent, int minRequests, long windowNanos,
                          long cooldownNanos, long maxCooldownNanos, LongSupplier clock) {
        this.consecutiveThreshold = consecutiveFailures;
        this.errorRatePercent = errorRatePercent;
        this.minRequests = minRequests;
        this.bucketNanos = Math.max(1, windowNanos / BUCKETS);
        this.baseCooldown = cooldownNanos;
        this.maxCooldown = Math.max(cooldownNanos, maxCooldownNanos);
        this.cooldown = cooldownNanos;
        this.clock = clock;
        java.util.Arrays.fill(bucketEpoch, Long.MIN_VALUE);
    }

    /** Whether a request could be let through now, without taking the half-open trial. */
    public synchronized boolean available() {
        long now = clock.getAsLong();
        return switch (state) {
            case CLOSED -> true;
            case OPEN -> now - openUntil >= 0;
            case HALF_OPEN -> !trialInFlight || now - trialStarted >= cooldown;
        };
    }

    /** Lets a request through if the state allows; in half-open this takes the single trial. */
    public synchronized boolean tryAcquire() {
        long now = clock.getAsLong();
        switch (state) {
            case CLOSED:
                return true;
            case OPEN:
                if (now - openUntil < 0) {
                    return false;
                }
                state = State.HALF_OPEN;
                break;
            default:
                if (trialInFlight && now - trialStarted < cooldown) {
                    return false;
                }
        }
        trialInFlight = true;
        trialStarted = now;
        return true;
    }

    /** The upstream answered (whatever the answer, it is alive): closes the breaker and resets the backoff. */
    public synchronized void onSuccess() {
        long now = clock.getAsLong();
        count(now, true);
        consecutive = 0;
        if (state != State.CLOSED) {
            state = State.CLOSED;
            trialInFlight = false;
            cooldown = baseCooldown;
            // Failures from before the outage must not reopen the breaker at once.
            java.util.Arrays.fill(bucketEpoch, Long.MIN_VALUE);
        }
    }

    /** A failure that counts against health. */
    public synchronized void onFailure() {
        long now = clock.getAsLong();
        count(now, false);
        consecutive++;
        if (state == State.HALF_OPEN) {
            cooldown = Math.min(maxCooldown, cooldown * 2);
            open(now);
        } else if (state == State.CLOSED && (consecutive >= consecutiveThreshold || rateExceeded(now))) {
            cooldown = baseCooldown;
            open(now);
        }
        // OPEN: a least-bad attempt failed while open; the cooldown already runs.
    }

    private void open(long now) {
        state = State.OPEN;
        openUntil = now + cooldown;
        trialInFlight = false;
        opens++;
    }

    private void count(long now, boolean ok) {
        long epoch = Math.floorDiv(now, bucketNanos);
        int i = (int) Math.floorMod(epoch, (long) BUCKETS);
        if (bucketEpoch[i] != epoch) {
            bucketEpoch[i] = epoch;
            bucketOk[i] = 0;
            bucketFailed[i] = 0;
        }
        if (ok) {
            bucketOk[i]++;
        } else {
            bucketFailed[i]++;
        }
    }

    private boolean rateExceeded(long now) {
        if (errorRatePercent <= 0) {
            return false;
        }
        long epoch = Math.floorDiv(now, bucketNanos);
        long ok = 0;
        long failed = 0;
        for (int i = 0; i < BUCKETS; i++) {
            if (bucketEpoch[i] != Long.MIN_VALUE && epoch - bucketEpoch[i] < BUCKETS) {
                ok += bucketOk[i];
                failed += bucketFailed[i];
            }
        }
        long total = ok + failed;
        return total >= minRequests && failed * 100 >= (long) errorRatePercent * total;
    }

    /** The state as stored: an open breaker whose cooldown has passed says OPEN until a trial takes it. */
    public synchronized State state() {
        return state;
    }

    /** When an open breaker lets its trial through (clock nanos); meaningful only while open. */
    public synchronized long openUntil() {
        return openUntil;
    }

    /** The cooldown now in force (doubles with each failed trial). */
    public synchronized long cooldownNanos() {
        return cooldown;
    }

    public synchronized int consecutiveFailures() {
        return consecutive;
    }

    /** How many times the breaker has opened. */
    public synchronized int opens() {
        return opens;
    }
}
