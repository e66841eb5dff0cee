package io.claudemirror.cluster;

import io.claudemirror.config.MirrorConfig.Limits;
import io.claudemirror.config.MirrorConfig.Tenant;
import io.claudemirror.ratelimit.Admission;
import io.claudemirror.ratelimit.Headroom;
import io.claudemirror.ratelimit.LimitKind;
import io.claudemirror.ratelimit.LocalTenantLimiter;
import io.claudemirror.ratelimit.TenantLimiter;
import io.github.bucket4j.distributed.AsyncBucketProxy;
import io.github.bucket4j.TimeMeter;
import io.github.bucket4j.distributed.proxy.ProxyManager;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tenant limits shared by every node through Redis: the buckets through Bucket4j's Lettuce proxy manager
 * ({@link SharedBuckets}), concurrency permits as leases ({@link PermitLeases}).
 *
 * <p>All-or-nothing without a lock across buckets: the permit is taken first, then every bucket at once, each
 * with an atomic consume ({@link Takes}); when one refuses, what the others took is given back (tokens added
 * back, the permit released). No step can over-admit, because each bucket's consume is atomic in Redis. The
 * cost of not holding one lock over all of them: between a take and its refund, a concurrent request may see
 * those tokens missing and be refused although it would have fitted (one round trip, only for a tenant at the
 * edge of a limit). One Lua script over all buckets would close that window, but would mean writing our own
 * token bucket instead of Bucket4j's, whose state format its scripts only compare and swap (docs/cluster.md).
 *
 * <p>Redis trouble ({@link RedisStore} down): with {@code redis.failurePolicy: open} each node falls back to its
 * own local buckets (the per-node limits of before), with {@code closed} limited requests are refused with a 429
 * naming the outage. A grant is settled where it was made: a Redis grant whose settlement fails leaves its
 * reservation charged (the safe side) and its lease to expire.
 */
public final class RedisTenantLimiter implements TenantLimiter {
    private static final Logger LOG = LoggerFactory.getLogger(RedisTenantLimiter.class);
    private static final long CONCURRENCY_WAIT_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final RedisStore store;
    private final TimeMeter clock;
    private final LocalTenantLimiter local;
    private final PermitLeases leases;
    private final ConcurrentHashMap<String, SharedBuckets> buckets = new ConcurrentHashMap<>();

    /** What a Redis grant holds for its settlement. */
    record Grant(SharedBuckets buckets, String lease) {
    }

    public RedisTenantLimiter(RedisStore store, List<Tenant> tenants, TimeMeter clock) {
        this.store = store;
        this.clock = clock;
        this.local = new LocalTenantLimiter(tenants, clock);
        this.leases = new PermitLeases(store);
    }

    private SharedBuckets buckets(Tenant tenant) {
        RedisStore.Link link = store.link();
        if (link == null) {
            throw new RedisUnavailableException("Redis not connected yet", null);
        }
        SharedBuckets b = buckets.get(tenant.id());
        if (b == null || b.manager != managerFor(link)) {
            b = new SharedBuckets(store, managerFor(link), tenant.id(), tenant.limits(), clock);
            buckets.put(tenant.id(), b);
        }
        return b;
    }

    private volatile RedisStore.Link managerLink;
    private volatile ProxyManager<String> manager;

    private ProxyManager<String> managerFor(RedisStore.Link link) {
        if (managerLink != link) {
            synchronized (this) {
                if (managerLink != link) {
                    manager = SharedBuckets.manager(link, clock, store.config().timeout());
                    managerLink = link;
                }
            }
        }
        return manager;
    }

    @Override
    public Admission admit(Tenant tenant, long inputTokens, long outputTokens, boolean permit) {
        Limits l = tenant.limits();
        long in = Math.max(0, inputTokens);
        long out = Math.max(0, outputTokens);
        // The same reservations as the local limiter, so a request's fate does not depend on where limits live.
        if (l.outputTokensPerMinute() > 0 && out > l.outputTokensPerMinute()) {
            return Admission.rejected(LimitKind.OUTPUT_TOKENS, Long.MAX_VALUE, false);
        }
        if (l.tokensPerDay() > 0 && out > l.tokensPerDay()) {
            return Admission.rejected(LimitKind.TOKENS_PER_DAY, Long.MAX_VALUE, false);
        }
        if (!store.up()) {
            return whileDown(tenant, inputTokens, outputTokens, permit);
        }
        long inputReservation = l.inputTokensPerMinute() > 0 ? Math.min(in, l.inputTokensPerMinute()) : 0;
        long outputReservation = l.outputTokensPerMinute() > 0 ? out : 0;
        long dailyOutput = l.tokensPerDay() > 0 ? out : 0;
        long dailyInput = l.tokensPerDay() > 0 ? Math.min(in, l.tokensPerDay() - out) : 0;
        String lease = null;
        try {
            SharedBuckets b = buckets(tenant);
            if (permit && l.maxConcurrent() > 0) {
                lease = leases.acquire(tenant.id(), l.maxConcurrent());
                if (lease == null) {
                    return Admission.rejected(LimitKind.CONCURRENT, CONCURRENCY_WAIT_NANOS, true);
                }
            }
            Takes takes = new Takes(b, 1, inputReservation, outputReservation, dailyInput + dailyOutput);
            boolean all;
            // One admission per tenant at a time on this node: concurrent compare-and-swaps on the same keys
            // from one node only retry each other; serialized, they contend only with the other nodes.
            if (!b.admissions.tryLock(store.config().timeout().toMillis() * 2, TimeUnit.MILLISECONDS)) {
                releaseQuietly(tenant.id(), lease);
                return notNow();
            }
            try {
                all = takes.run(store);
            } finally {
                b.admissions.unlock();
            }
            if (all) {
                return Admission.granted(new Grant(b, lease), inputReservation, outputReservation, dailyInput,
                        dailyOutput, lease != null);
            }
            takes.refund(store);
            releaseQuietly(tenant.id(), lease);
            return Admission.rejected(takes.refusedBy(), takes.waitNanos(), true);
        } catch (RedisUnavailableException e) {
            releaseQuietly(tenant.id(), lease);
            if (store.up()) {
                // Redis is there but this admission did not get its answer in time (a slow command, a storm of
                // compare-and-swap retries). Deciding locally here would over-admit exactly when the cluster is
                // busiest, so the request is asked to retry; the failure policy is for Redis being down.
                return notNow();
            }
            return whileDown(tenant, inputTokens, outputTokens, permit);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            releaseQuietly(tenant.id(), lease);
            return notNow();
        }
    }

    private Admission notNow() {
        store.metrics().rejectedClosed();
        return Admission.rejected(LimitKind.SHARED_STORE_DOWN, TimeUnit.SECONDS.toNanos(1), true);
    }

    private void releaseQuietly(String tenant, String lease) {
        if (lease != null) {
            try {
                leases.release(tenant, lease);
            } catch (RedisUnavailableException e) {
                // Counted by the store; the lease expires on its own.
            }
        }
    }

    private Admission whileDown(Tenant tenant, long inputTokens, long outputTokens, boolean permit) {
        if (store.config().failOpen()) {
            store.metrics().decidedLocally();
            return local.admit(tenant, inputTokens, outputTokens, permit);
        }
        store.metrics().rejectedClosed();
        return Admission.rejected(LimitKind.SHARED_STORE_DOWN, TimeUnit.SECONDS.toNanos(1), true);
    }

    @Override
    public void settle(Admission admission, long realInputTokens, long realOutputTokens) {
        if (!(admission.owner() instanceof Grant g)) {
            local.settle(admission, realInputTokens, realOutputTokens);
            return;
        }
        if (!admission.markSettled()) {
            return;
        }
        SharedBuckets b = g.buckets();
        try {
            releaseQuietly(b.tenantId, g.lease());
            // Sent together and not awaited: the response has ended, nobody waits for its accounting.
            if (realInputTokens >= 0) {
                correct(b.input, admission.inputTokens(), realInputTokens);
            }
            if (realOutputTokens >= 0) {
                correct(b.output, admission.outputTokens(), realOutputTokens);
            }
            if (realInputTokens >= 0 || realOutputTokens >= 0) {
                long reserved = admission.dailyInputTokens() + admission.dailyOutputTokens();
                long real = (realInputTokens >= 0 ? realInputTokens : admission.dailyInputTokens())
                        + (realOutputTokens >= 0 ? realOutputTokens : admission.dailyOutputTokens());
                correct(b.daily, reserved, real);
            }
        } catch (RuntimeException e) {
            store.failed(e);
            LOG.debug("tenant {}: settlement not recorded in Redis; the reservation stays charged", b.tenantId);
        }
    }

    /** A surplus is refunded, a shortfall charged past zero: the tenant waits off real usage, on every node. */
    private void correct(AsyncBucketProxy bucket, long reserved, long real) {
        if (bucket == null || real == reserved) {
            return;
        }
        CompletableFuture<?> f = real < reserved ? bucket.addTokens(reserved - real)
                : bucket.consumeIgnoringRateLimits(real - reserved);
        f.whenComplete((ok, failure) -> {
            if (failure != null) {
                store.failed(failure);
            }
        });
    }

    @Override
    public Headroom headroom(Tenant tenant) {
        if (!store.up()) {
            return local.headroom(tenant);
        }
        try {
            SharedBuckets b = buckets(tenant);
            CompletableFuture<Long> requests = available(b.requests);
            CompletableFuture<Long> input = available(b.input);
            CompletableFuture<Long> output = available(b.output);
            CompletableFuture<Long> daily = available(b.daily);
            Takes.await(store, CompletableFuture.allOf(requests, input, output, daily));
            long now = clock.currentTimeNanos();
            Limits l = tenant.limits();
            return new Headroom(quota(requests.join(), l.requestsPerMinute(), now),
                    quota(input.join(), l.inputTokensPerMinute(), now), quota(output.join(), l.outputTokensPerMinute(), now),
                    daily(daily.join(), l.tokensPerDay(), now));
        } catch (RedisUnavailableException e) {
            return local.headroom(tenant);
        }
    }

    private static CompletableFuture<Long> available(AsyncBucketProxy bucket) {
        return bucket == null ? CompletableFuture.completedFuture(null) : bucket.getAvailableTokens();
    }

    private static Headroom.Quota quota(Long available, long limit, long now) {
        if (available == null) {
            return null;
        }
        long missing = limit - available;
        long untilFull = missing <= 0 ? 0 : (long) Math.ceil((double) missing / limit * TimeUnit.MINUTES.toNanos(1));
        return new Headroom.Quota(limit, Math.max(0, available), now + untilFull);
    }

    private static Headroom.Quota daily(Long available, long limit, long now) {
        if (available == null) {
            return null;
        }
        long missing = limit - available;
        long day = TimeUnit.DAYS.toNanos(1);
        long reset = now;
        if (missing > 0) {
            long refills = (missing + limit - 1) / limit;
            reset = Math.floorDiv(now, day) * day + day + (refills - 1) * day;
        }
        return new Headroom.Quota(limit, Math.max(0, available), reset);
    }

    /** Permits of {@code tenant} in use across the cluster now (leases alive in Redis). */
    public int inFlight(Tenant tenant) {
        return leases.inFlight(tenant.id());
    }

    /** Returns this node's leases (requests still running when the host stops are cut off anyway). */
    @Override
    public void close() {
        leases.releaseAll();
    }

    /** The fallback limiter used while Redis is down (open policy). */
    public LocalTenantLimiter local() {
        return local;
    }
}
