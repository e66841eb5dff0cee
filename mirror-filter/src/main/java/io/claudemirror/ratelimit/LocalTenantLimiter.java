package io.claudemirror.ratelimit;

import io.claudemirror.config.MirrorConfig.Limits;
import io.claudemirror.config.MirrorConfig.Tenant;
import io.github.bucket4j.TimeMeter;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Tenant limits in this JVM, one set of Bucket4j buckets per tenant. With several replicas each enforces the
 * full limit on its own (the LiteLLM trap: N replicas admit N times the limit); cluster mode needs the Redis
 * implementation of {@link TenantLimiter}.
 *
 * <p>Decides what each bucket is asked for, so that no request asks a bucket for more than its capacity (which
 * Bucket4j would answer with an infinite wait):
 * <ul>
 *   <li>output: {@code max_tokens} is an exact upper bound the client chose, so a {@code max_tokens} above the
 *       output or daily limit can never pass and is rejected as unsatisfiable;</li>
 *   <li>input: the estimate is only an estimate (bytes/4 overshoots base64 images by far), so the reservation
 *       is capped at the capacity and the real count, charged at settlement, decides the rest.</li>
 * </ul>
 */
public final class LocalTenantLimiter implements TenantLimiter {
    private final ConcurrentHashMap<String, TenantBuckets> buckets = new ConcurrentHashMap<>();
    private final TimeMeter clock;

    /**
     * @param tenants the configured tenants (others are added on first use)
     * @param clock   nanoseconds since the epoch; must be wall-clock based (the daily budget resets at 00:00 UTC)
     */
    public LocalTenantLimiter(List<Tenant> tenants, TimeMeter clock) {
        this.clock = Objects.requireNonNull(clock, "clock");
        if (!clock.isWallClockBased()) {
            throw new IllegalArgumentException("the limiter's clock must count nanoseconds since the epoch");
        }
        for (Tenant t : tenants) {
            buckets.put(t.id(), new TenantBuckets(t.id(), t.limits(), clock));
        }
    }

    private TenantBuckets buckets(Tenant tenant) {
        // Plain get first: computeIfAbsent may lock the bin even when the key is present.
        TenantBuckets b = buckets.get(tenant.id());
        return b != null ? b : buckets.computeIfAbsent(tenant.id(), id -> new TenantBuckets(id, tenant.limits(), clock));
    }

    @Override
    public Admission admit(Tenant tenant, long inputTokens, long outputTokens, boolean permit) {
        TenantBuckets b = buckets(tenant);
        Limits l = b.limits();
        long in = Math.max(0, inputTokens);
        long out = Math.max(0, outputTokens);
        if (l.outputTokensPerMinute() > 0 && out > l.outputTokensPerMinute()) {
            return Admission.rejected(LimitKind.OUTPUT_TOKENS, Long.MAX_VALUE, false);
        }
        if (l.tokensPerDay() > 0 && out > l.tokensPerDay()) {
            return Admission.rejected(LimitKind.TOKENS_PER_DAY, Long.MAX_VALUE, false);
        }
        long inputReservation = l.inputTokensPerMinute() > 0 ? Math.min(in, l.inputTokensPerMinute()) : 0;
        long outputReservation = l.outputTokensPerMinute() > 0 ? out : 0;
        long dailyOutput = l.tokensPerDay() > 0 ? out : 0;
        long dailyInput = l.tokensPerDay() > 0 ? Math.min(in, l.tokensPerDay() - out) : 0;
        // Without a concurrency limit there is nothing to count: no permit, nothing to release.
        return b.admit(inputReservation, outputReservation, dailyInput, dailyOutput, permit && l.maxConcurrent() > 0);
    }

    @Override
    public void settle(Admission admission, long realInputTokens, long realOutputTokens) {
        if (admission.owner() instanceof TenantBuckets b && admission.markSettled()) {
            b.settle(admission, realInputTokens, realOutputTokens);
        }
    }

    @Override
    public Headroom headroom(Tenant tenant) {
        return buckets(tenant).headroom();
    }

    /** Requests of {@code tenant} holding a concurrency permit now (always 0 without {@code maxConcurrent}). */
    public int inFlight(Tenant tenant) {
        return buckets(tenant).inFlight();
    }
}
