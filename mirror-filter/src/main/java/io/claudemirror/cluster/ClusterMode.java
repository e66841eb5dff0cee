package io.claudemirror.cluster;

import io.claudemirror.MirrorRuntime;
import io.claudemirror.cache.EhcacheResponseCache;
import io.claudemirror.cache.ResponseCache;
import io.claudemirror.config.MirrorConfig;
import io.claudemirror.ownership.OwnershipIndex;
import io.claudemirror.ratelimit.TenantLimiter;
import io.claudemirror.ratelimit.WallClock;
import java.time.Clock;

/**
 * Turns a runtime into a cluster node when {@code redis.uri} is set: registers the Redis-backed services before
 * any filter asks for them, so the filters pick them up through {@link MirrorRuntime#service} unchanged:
 * {@link TenantLimiter} ({@link RedisTenantLimiter}), {@link OwnershipIndex} ({@link RedisOwnershipIndex}),
 * {@link ResponseCache} ({@link TieredResponseCache}, when the cache is on), and the shared routing state
 * ({@link RedisRoutingState}). Lettuce and Bucket4j's Lettuce module are optional dependencies: only this
 * package touches them, and only when Redis is configured.
 */
public final class ClusterMode {
    private ClusterMode() {
    }

    /** Registers the cluster services on {@code runtime}; called by the runtime when {@code redis.uri} is set. */
    public static void install(MirrorRuntime runtime) {
        MirrorConfig config = runtime.config();
        try {
            Class.forName("io.lettuce.core.RedisClient", false, ClusterMode.class.getClassLoader());
            Class.forName("io.github.bucket4j.redis.lettuce.Bucket4jLettuce", false, ClusterMode.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException("redis.uri is set but " + e.getMessage() + " is missing: add "
                    + "io.lettuce:lettuce-core and com.bucket4j:bucket4j_jdk17-lettuce to the host's dependencies", e);
        }
        ClusterMetrics metrics = runtime.service(ClusterMetrics.class, ClusterMetrics::new);
        RedisStore store = runtime.service(RedisStore.class, () -> new RedisStore(config.redis(), metrics));
        runtime.service(TenantLimiter.class, () -> new RedisTenantLimiter(store, config.tenants(), new WallClock()));
        runtime.service(OwnershipIndex.class, () -> new RedisOwnershipIndex(store, Clock.systemUTC()));
        if (config.cache().enabled()) {
            runtime.service(ResponseCache.class, () -> new TieredResponseCache(new EhcacheResponseCache(config.cache()),
                    store, config.cache(), Clock.systemUTC()));
        }
        runtime.upstreams().share(new RedisRoutingState(store));
        long every = config.redis().healthInterval().toMillis();
        store.scheduler().scheduleWithFixedDelay(() -> {
            if (store.up()) {
                try {
                    runtime.upstreams().pullSharedPauses();
                } catch (RuntimeException e) {
                    // Counted by the store; the local pauses stand.
                }
            }
        }, every, every, java.util.concurrent.TimeUnit.MILLISECONDS);
    }
}
