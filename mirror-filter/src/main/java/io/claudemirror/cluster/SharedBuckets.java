package io.claudemirror.cluster;

import io.claudemirror.config.MirrorConfig.Limits;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.distributed.AsyncBucketProxy;
import io.github.bucket4j.distributed.proxy.AsyncProxyManager;
import java.util.concurrent.CompletableFuture;
import io.github.bucket4j.distributed.ExpirationAfterWriteStrategy;
import io.github.bucket4j.distributed.proxy.ProxyManager;
import io.github.bucket4j.redis.lettuce.Bucket4jLettuce;
import io.github.bucket4j.TimeMeter;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;

/**
 * One tenant's Bucket4j buckets in Redis, built through Bucket4j's Lettuce proxy manager: every consume, refund
 * and reading is one atomic compare-and-swap on the bucket's key in Redis, so all nodes draw from the same
 * tokens. The buckets have the same shapes as the local ones (per-minute greedy refill, daily budget refilled at
 * 00:00 UTC). Keys expire once a bucket would be full again (plus a margin), so idle tenants leave nothing.
 * The limit's value is part of the key: a changed limit starts a fresh bucket rather than mixing shapes.
 */
final class SharedBuckets {
    private static final long MINUTE_NANOS = TimeUnit.MINUTES.toNanos(1);
    private static final long DAY_NANOS = TimeUnit.DAYS.toNanos(1);
    static final Duration EXPIRY_MARGIN = Duration.ofSeconds(10);

    final String tenantId;
    final Limits limits;
    final AsyncBucketProxy requests;
    final AsyncBucketProxy input;
    final AsyncBucketProxy output;
    final AsyncBucketProxy daily;
    /** Serializes this node's admissions of the tenant (see {@link RedisTenantLimiter#admit}). */
    final java.util.concurrent.locks.ReentrantLock admissions = new java.util.concurrent.locks.ReentrantLock(true);
    /** The proxy manager these proxies were built on (a late first connection makes a new one). */
    final ProxyManager<String> manager;

    SharedBuckets(RedisStore store, ProxyManager<String> manager, String tenantId, Limits limits, TimeMeter clock) {
        this.tenantId = tenantId;
        this.limits = limits;
        this.manager = manager;
        // Asynchronous proxies: an admission sends its buckets' operations together (one round trip's wait
        // for all of them instead of one per bucket).
        AsyncProxyManager<String> async = manager.asAsync();
        this.requests = perMinute(store, async, tenantId, "rpm", limits.requestsPerMinute());
        this.input = perMinute(store, async, tenantId, "itpm", limits.inputTokensPerMinute());
        this.output = perMinute(store, async, tenantId, "otpm", limits.outputTokensPerMinute());
        long perDay = limits.tokensPerDay();
        this.daily = perDay <= 0 ? null : async.builder().build(store.tenantKey(tenantId, "tpd:" + perDay), () -> {
            long nextMidnight = Math.floorDiv(clock.currentTimeNanos(), DAY_NANOS) * DAY_NANOS + DAY_NANOS;
            return CompletableFuture.completedFuture(BucketConfiguration.builder().addLimit(l -> l.capacity(perDay)
                    .refillIntervallyAligned(Math.min(perDay, DAY_NANOS), Duration.ofDays(1),
                            Instant.ofEpochSecond(0, nextMidnight))).build());
        });
    }

    private static AsyncBucketProxy perMinute(RedisStore store, AsyncProxyManager<String> manager, String tenant,
                                              String name, long limit) {
        if (limit <= 0) {
            return null;
        }
        long refill = Math.min(limit, MINUTE_NANOS);
        BucketConfiguration config = BucketConfiguration.builder()
                .addLimit(l -> l.capacity(limit).refillGreedy(refill, Duration.ofMinutes(1))).build();
        return manager.builder().build(store.tenantKey(tenant, name + ":" + limit), config);
    }

    /**
     * Bucket4j's Lettuce proxy manager over the link's connection: compare-and-swap on each bucket key, the
     * nodes' clock ({@code clock}; nodes must run NTP, as any Bucket4j cluster), Redis commands bounded by
     * {@code timeout}, and key expiry once a bucket would be full again.
     */
    @SuppressWarnings("unchecked")
    static ProxyManager<String> manager(RedisStore.Link link, TimeMeter clock, Duration timeout) {
        Bucket4jLettuce.LettuceBasedProxyManagerBuilder<String> b = link.connection() instanceof StatefulRedisClusterConnection<?, ?> c
                ? Bucket4jLettuce.casBasedBuilder((StatefulRedisClusterConnection<String, byte[]>) c)
                : Bucket4jLettuce.casBasedBuilder((StatefulRedisConnection<String, byte[]>) link.connection());
        return b.clientClock(clock).requestTimeout(timeout)
                .expirationAfterWrite(ExpirationAfterWriteStrategy.basedOnTimeForRefillingBucketUpToMax(EXPIRY_MARGIN))
                .build();
    }
}
