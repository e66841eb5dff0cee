package io.claudemirror.cluster;

import io.claudemirror.ratelimit.LimitKind;
import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.distributed.AsyncBucketProxy;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One admission's takes from a tenant's shared buckets, sent together: Lettuce pipelines them on the one
 * connection, so the request waits about one compare-and-swap's time for all of them instead of one per bucket.
 * The request token is asked for like the others and refunded like them on refusal: a rejected request is
 * charged nothing ({@link io.claudemirror.ratelimit.TenantLimiter}'s contract).
 */
final class Takes {
    private static final LimitKind[] KINDS = {LimitKind.REQUESTS, LimitKind.INPUT_TOKENS, LimitKind.OUTPUT_TOKENS,
            LimitKind.TOKENS_PER_DAY};

    private final AsyncBucketProxy[] buckets;
    private final long[] amounts;
    @SuppressWarnings("unchecked")
    private final CompletableFuture<ConsumptionProbe>[] probes = new CompletableFuture[4];
    private LimitKind refusedBy;
    private long waitNanos;

    Takes(SharedBuckets b, long requests, long input, long output, long daily) {
        this.buckets = new AsyncBucketProxy[] {b.requests, b.input, b.output, b.daily};
        this.amounts = new long[] {requests, input, output, daily};
    }

    /** Takes from every bucket; true when all gave. Throws {@link RedisUnavailableException} (after refunds). */
    boolean run(RedisStore store) {
        for (int i = 0; i < 4; i++) {
            if (buckets[i] != null && amounts[i] > 0) {
                probes[i] = buckets[i].tryConsumeAndReturnRemaining(amounts[i]);
            }
        }
        try {
            await(store, CompletableFuture.allOf(nonNull()));
        } catch (RedisUnavailableException e) {
            refund(store);
            throw e;
        }
        boolean all = true;
        for (int i = 0; i < 4; i++) {
            ConsumptionProbe p = probes[i] == null ? null : probes[i].join();
            if (p != null && !p.isConsumed()) {
                all = false;
                // The longest wait: once it has passed, every other limit can pass too.
                long w = Math.max(1, p.getNanosToWaitForRefill());
                if (refusedBy == null || w > waitNanos) {
                    refusedBy = KINDS[i];
                    waitNanos = w;
                }
            }
        }
        return all;
    }

    /** Gives back what was taken; not awaited (the refund only makes the tenant's next request likelier to pass). */
    void refund(RedisStore store) {
        for (int i = 0; i < 4; i++) {
            CompletableFuture<ConsumptionProbe> f = probes[i];
            if (f == null) {
                continue;
            }
            int bucket = i;
            f.whenComplete((p, failure) -> {
                if (failure == null && p.isConsumed()) {
                    buckets[bucket].addTokens(amounts[bucket]).whenComplete((ok, refundFailure) -> {
                        if (refundFailure != null) {
                            store.failed(refundFailure);
                        }
                    });
                }
            });
        }
    }

    LimitKind refusedBy() {
        return refusedBy;
    }

    long waitNanos() {
        return waitNanos;
    }

    private CompletableFuture<?>[] nonNull() {
        int n = 0;
        for (CompletableFuture<ConsumptionProbe> p : probes) {
            n += p == null ? 0 : 1;
        }
        CompletableFuture<?>[] out = new CompletableFuture<?>[n];
        int j = 0;
        for (CompletableFuture<ConsumptionProbe> p : probes) {
            if (p != null) {
                out[j++] = p;
            }
        }
        return out;
    }

    /**
     * Waits for {@code all} at most twice {@code redis.timeout} (a compare-and-swap may need a second try under
     * contention); a failure or the deadline is reported to the store and thrown as unavailability.
     */
    static void await(RedisStore store, CompletableFuture<?> all) {
        try {
            all.get(store.config().timeout().toMillis() * 2, TimeUnit.MILLISECONDS);
            store.succeeded();
        } catch (ExecutionException e) {
            store.failed(e.getCause());
            throw new RedisUnavailableException("Redis command failed", e.getCause());
        } catch (TimeoutException e) {
            store.failed(e);
            throw new RedisUnavailableException("Redis did not answer in time", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RedisUnavailableException("interrupted while waiting for Redis", e);
        }
    }
}
