package io.claudemirror.ratelimit;

import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;

/**
 * The answer of {@link TenantLimiter#admit}: either a grant, which records exactly what was reserved so that
 * {@link TenantLimiter#settle} can correct it later, or a rejection naming the limit that binds and how long to
 * wait. A grant must be settled exactly once; settling again is ignored, so a double completion cannot release
 * a concurrency permit twice.
 */
public final class Admission {
    private static final AtomicIntegerFieldUpdater<Admission> SETTLED =
            AtomicIntegerFieldUpdater.newUpdater(Admission.class, "settled");

    private final Object owner;
    private final boolean granted;
    private final LimitKind rejectedBy;
    private final long waitNanos;
    private final boolean satisfiable;
    private final long inputTokens;
    private final long outputTokens;
    private final long dailyInputTokens;
    private final long dailyOutputTokens;
    private final boolean permit;
    private volatile int settled;

    private Admission(Object owner, boolean granted, LimitKind rejectedBy, long waitNanos, boolean satisfiable,
                      long inputTokens, long outputTokens, long dailyInputTokens, long dailyOutputTokens,
                      boolean permit) {
        this.owner = owner;
        this.granted = granted;
        this.rejectedBy = rejectedBy;
        this.waitNanos = waitNanos;
        this.satisfiable = satisfiable;
        this.inputTokens = inputTokens;
        this.outputTokens = outputTokens;
        this.dailyInputTokens = dailyInputTokens;
        this.dailyOutputTokens = dailyOutputTokens;
        this.permit = permit;
    }

    /**
     * A grant. {@code owner} is the implementation's handle on the tenant's state (e.g. its buckets); the token
     * counts are what each bucket was charged (0 where the tenant has no such limit).
     */
    public static Admission granted(Object owner, long inputTokens, long outputTokens, long dailyInputTokens,
                                    long dailyOutputTokens, boolean permit) {
        return new Admission(owner, true, null, 0, true, inputTokens, outputTokens, dailyInputTokens,
                dailyOutputTokens, permit);
    }

    /** A rejection by {@code kind}; nothing was charged. */
    public static Admission rejected(LimitKind kind, long waitNanos, boolean satisfiable) {
        return new Admission(null, false, kind, waitNanos, satisfiable, 0, 0, 0, 0, false);
    }

    public boolean granted() {
        return granted;
    }

    /** The limit that rejected the request (the one with the longest wait), or null for a grant. */
    public LimitKind rejectedBy() {
        return rejectedBy;
    }

    /** False when the request can never pass under the tenant's limits, whatever the wait. */
    public boolean satisfiable() {
        return satisfiable;
    }

    /** Nanoseconds until the request could pass; meaningful only for a satisfiable rejection. */
    public long waitNanos() {
        return waitNanos;
    }

    /** The {@code retry-after} value, in whole seconds rounded up and clamped. */
    public long retryAfterSeconds() {
        return RetryAfter.seconds(waitNanos);
    }

    /** True when retrying after {@link #retryAfterSeconds} can succeed; else the client should not retry. */
    public boolean worthRetrying() {
        return satisfiable && RetryAfter.worthWaiting(waitNanos);
    }

    public Object owner() {
        return owner;
    }

    public long inputTokens() {
        return inputTokens;
    }

    public long outputTokens() {
        return outputTokens;
    }

    public long dailyInputTokens() {
        return dailyInputTokens;
    }

    public long dailyOutputTokens() {
        return dailyOutputTokens;
    }

    /** True when the grant holds one of the tenant's {@code maxConcurrent} permits. */
    public boolean holdsPermit() {
        return permit;
    }

    /** Marks the grant settled; true only for the first call. For implementations of {@link TenantLimiter}. */
    public boolean markSettled() {
        return granted && SETTLED.compareAndSet(this, 0, 1);
    }

    @Override
    public String toString() {
        return granted ? "Admission[granted in=" + inputTokens + " out=" + outputTokens + " permit=" + permit + "]"
                : "Admission[rejected by " + rejectedBy + (satisfiable ? " wait=" + waitNanos + "ns" : " never") + "]";
    }
}
