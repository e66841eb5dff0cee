package io.claudemirror.ratelimit;

import io.claudemirror.config.MirrorConfig.Limits;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.TimeMeter;
import io.github.bucket4j.local.SynchronizationStrategy;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One tenant's buckets and concurrency count. Every operation runs under this object's monitor and the buckets
 * are built with {@link SynchronizationStrategy#NONE}: an admission touches up to four buckets and must take
 * from all or none, which per-bucket atomicity cannot give (taking from one then failing on the next would
 * briefly hide tokens from concurrent requests and reject them spuriously). So the tenant's monitor replaces
 * Bucket4j's own per-bucket synchronization: still one uncontended lock per admission, and no allocation on a
 * grant beyond the {@link Admission} itself.
 */
final class TenantBuckets {
    private static final Logger LOG = LoggerFactory.getLogger(TenantBuckets.class);
    private static final long MINUTE_NANOS = TimeUnit.MINUTES.toNanos(1);
    private static final long DAY_NANOS = TimeUnit.DAYS.toNanos(1);
    /** Bucket4j's highest refill rate, 1 token per nanosecond, per minute. */
    private static final long MAX_REFILL_PER_MINUTE = MINUTE_NANOS;
    /** Wait reported for a full concurrency limit: when a permit frees up is unknowable, so the shortest. */
    private static final long CONCURRENCY_WAIT_NANOS = TimeUnit.SECONDS.toNanos(1);

    final String tenantId;
    private final Limits limits;
    private final LatchedTime now;
    private final Bucket requests;
    private final Bucket input;
    private final Bucket output;
    private final Bucket daily;
    private int inFlight;

    TenantBuckets(String tenantId, Limits limits, TimeMeter clock) {
        this.tenantId = tenantId;
        this.limits = limits;
        this.now = new LatchedTime(clock);
        now.latch();
        this.requests = perMinute(limits.requestsPerMinute(), now);
        this.input = perMinute(limits.inputTokensPerMinute(), now);
        this.output = perMinute(limits.outputTokensPerMinute(), now);
        this.daily = perDay(limits.tokensPerDay(), now);
    }

    /**
     * The time every bucket of this tenant sees during one locked operation: the clock is read once per operation
     * instead of once per bucket call (up to seven), and all buckets refill to the same instant, so undoing a
     * partial admission restores them exactly. Only read and written under the tenant's monitor.
     */
    private static final class LatchedTime implements TimeMeter {
        private final TimeMeter source;
        private long nanos;

        LatchedTime(TimeMeter source) {
            this.source = source;
        }

        long latch() {
            nanos = source.currentTimeNanos();
            return nanos;
        }

        @Override
        public long currentTimeNanos() {
            return nanos;
        }

        @Override
        public boolean isWallClockBased() {
            return source.isWallClockBased();
        }
    }

    /**
     * Capacity = the per-minute limit, refilled continuously (greedy) at that rate: a tenant may burst its whole
     * minute at once, then gets tokens back as time passes, like Anthropic's own token-bucket limits.
     */
    private static Bucket perMinute(long limit, TimeMeter clock) {
        if (limit <= 0) {
            return null;
        }
        // Bucket4j refuses refill rates above 1 token per nanosecond; a limit that high is unlimited in practice.
        long refill = Math.min(limit, MAX_REFILL_PER_MINUTE);
        return Bucket.builder().withCustomTimePrecision(clock).withSynchronizationStrategy(SynchronizationStrategy.NONE)
                .addLimit(l -> l.capacity(limit).refillGreedy(refill, Duration.ofMinutes(1))).build();
    }

    /** A budget, not a rate: refilled to full at each 00:00 UTC, so a tenant can plan its day. */
    private static Bucket perDay(long limit, TimeMeter clock) {
        if (limit <= 0) {
            return null;
        }
        Instant nextMidnight = Instant.ofEpochSecond(0, nextMidnightNanos(clock.currentTimeNanos()));
        long refill = Math.min(limit, DAY_NANOS);
        return Bucket.builder().withCustomTimePrecision(clock).withSynchronizationStrategy(SynchronizationStrategy.NONE)
                .addLimit(l -> l.capacity(limit).refillIntervallyAligned(refill, Duration.ofDays(1), nextMidnight))
                .build();
    }

    static long nextMidnightNanos(long epochNanos) {
        return Math.floorDiv(epochNanos, DAY_NANOS) * DAY_NANOS + DAY_NANOS;
    }

    Limits limits() {
        return limits;
    }

    /**
     * Reservation amounts are clamped by the caller (see {@link LocalTenantLimiter}) so none exceeds its bucket's
     * capacity: Bucket4j answers {@code Long.MAX_VALUE} nanoseconds for those.
     */
    synchronized Admission admit(long inputTokens, long outputTokens, long dailyInput, long dailyOutput,
                                 boolean permit) {
        now.latch();
        if (permit && limits.maxConcurrent() > 0 && inFlight >= limits.maxConcurrent()) {
            return Admission.rejected(LimitKind.CONCURRENT, CONCURRENCY_WAIT_NANOS, true);
        }
        long dailyTokens = dailyInput + dailyOutput;
        int taken = 0;
        if (take(requests, 1)) {
            taken = 1;
            if (take(input, inputTokens)) {
                taken = 2;
                if (take(output, outputTokens)) {
                    taken = 3;
                    if (take(daily, dailyTokens)) {
                        taken = 4;
                    }
                }
            }
        }
        if (taken < 4) {
            // Undo in reverse; nobody else saw the intermediate state because we hold the monitor.
            if (taken >= 3) {
                refund(output, outputTokens);
            }
            if (taken >= 2) {
                refund(input, inputTokens);
            }
            if (taken >= 1) {
                refund(requests, 1);
            }
            return rejection(inputTokens, outputTokens, dailyTokens);
        }
        if (permit) {
            inFlight++;
        }
        return Admission.granted(this, inputTokens, outputTokens, dailyInput, dailyOutput, permit);
    }

    /** Names the limit with the longest wait: waiting for it means every other limit can pass too. */
    private Admission rejection(long inputTokens, long outputTokens, long dailyTokens) {
        LimitKind kind = LimitKind.REQUESTS;
        long wait = waitFor(requests, 1);
        long w = waitFor(input, inputTokens);
        if (w > wait) {
            kind = LimitKind.INPUT_TOKENS;
            wait = w;
        }
        w = waitFor(output, outputTokens);
        if (w > wait) {
            kind = LimitKind.OUTPUT_TOKENS;
            wait = w;
        }
        w = waitFor(daily, dailyTokens);
        if (w > wait) {
            kind = LimitKind.TOKENS_PER_DAY;
            wait = w;
        }
        return Admission.rejected(kind, wait, true);
    }

    private static boolean take(Bucket bucket, long tokens) {
        // Bucket4j rejects a non-positive amount with an exception; nothing to take is always a success.
        return bucket == null || tokens <= 0 || bucket.tryConsume(tokens);
    }

    private static void refund(Bucket bucket, long tokens) {
        if (bucket != null && tokens > 0) {
            bucket.addTokens(tokens);
        }
    }

    private static long waitFor(Bucket bucket, long tokens) {
        if (bucket == null || tokens <= 0) {
            return 0;
        }
        return bucket.estimateAbilityToConsume(tokens).getNanosToWaitForRefill();
    }

    /**
     * Releases the permit and moves each bucket from its reservation to the real count: a surplus is refunded
     * ({@code addTokens}, capped at capacity, which is exactly where an early correct charge would have left the
     * bucket), a shortfall is charged even past zero ({@code consumeIgnoringRateLimits}), so a tenant whose real
     * usage exceeded the estimate waits it off.
     */
    synchronized void settle(Admission a, long realInput, long realOutput) {
        now.latch();
        if (a.holdsPermit()) {
            inFlight--;
        }
        if (realInput >= 0) {
            correct(input, a.inputTokens(), realInput);
        }
        if (realOutput >= 0) {
            correct(output, a.outputTokens(), realOutput);
        }
        if (realInput >= 0 || realOutput >= 0) {
            long reserved = a.dailyInputTokens() + a.dailyOutputTokens();
            long real = (realInput >= 0 ? realInput : a.dailyInputTokens())
                    + (realOutput >= 0 ? realOutput : a.dailyOutputTokens());
            correct(daily, reserved, real);
        }
    }

    private void correct(Bucket bucket, long reserved, long real) {
        if (bucket == null || real == reserved) {
            return;
        }
        if (real < reserved) {
            bucket.addTokens(reserved - real);
            return;
        }
        try {
            bucket.consumeIgnoringRateLimits(real - reserved);
        } catch (IllegalArgumentException e) {
            // Only when the debt's wait would overflow a long of nanoseconds (centuries); drain what is there.
            LOG.warn("tenant {}: usage {} beyond what the bucket can record; draining it", tenantId, real);
            bucket.tryConsumeAsMuchAsPossible();
        }
    }

    synchronized int inFlight() {
        return inFlight;
    }

    synchronized Headroom headroom() {
        long t = now.latch();
        return new Headroom(perMinuteQuota(requests, limits.requestsPerMinute(), t),
                perMinuteQuota(input, limits.inputTokensPerMinute(), t),
                perMinuteQuota(output, limits.outputTokensPerMinute(), t),
                dailyQuota(t));
    }

    private static Headroom.Quota perMinuteQuota(Bucket bucket, long limit, long now) {
        if (bucket == null) {
            return null;
        }
        long available = bucket.getAvailableTokens();
        long missing = limit - available;
        // Greedy refill adds limit tokens per minute; double avoids overflowing missing * MINUTE_NANOS.
        long untilFull = missing <= 0 ? 0 : (long) Math.ceil((double) missing / limit * MINUTE_NANOS);
        return new Headroom.Quota(limit, Math.max(0, available), now + untilFull);
    }

    private Headroom.Quota dailyQuota(long now) {
        if (daily == null) {
            return null;
        }
        long limit = limits.tokensPerDay();
        long available = daily.getAvailableTokens();
        long missing = limit - available;
        long reset = now;
        if (missing > 0) {
            // Each midnight adds a full day's budget; a bucket in debt may need more than one.
            long refills = (missing + limit - 1) / limit;
            reset = nextMidnightNanos(now) + (refills - 1) * DAY_NANOS;
        }
        return new Headroom.Quota(limit, Math.max(0, available), reset);
    }
}
