package io.claudemirror.cluster;

import io.claudemirror.cache.CachedResponse;
import io.claudemirror.cache.ResponseCache;
import io.claudemirror.config.MirrorConfig;
import io.lettuce.core.SetArgs;
import java.nio.ByteBuffer;
import java.time.Clock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The response cache in cluster mode: this node's own tier (Ehcache, as without Redis) in front, Redis behind.
 * A put goes to both (Redis written asynchronously, so the request that completed never waits for it); a get
 * that misses locally asks Redis and keeps what it finds locally. The Redis tier has the same rules as the local
 * one: entries expire {@code cache.ttl} after they were stored (the key's own expiry, counted from the entry's
 * store time, so a copy never outlives the original), entries over {@code cache.maxEntryBytes} are not stored,
 * and what is stored is the upstream's answer with PII placeholders, never restored values (the cache filter
 * hands exactly that form to every tier). The entry count is bounded by Redis's {@code maxmemory} policy, not by
 * {@code cache.maxEntries} (docs/cluster.md).
 *
 * <p>A Redis error is a miss (a cache may forget); the store counts it and stops asking until Redis is back.
 */
public final class TieredResponseCache implements ResponseCache {
    private static final Logger LOG = LoggerFactory.getLogger(TieredResponseCache.class);

    private final ResponseCache local;
    private final RedisStore store;
    private final long ttlMillis;
    private final long maxEntryBytes;
    private final Clock clock;

    public TieredResponseCache(ResponseCache local, RedisStore store, MirrorConfig.Cache config, Clock clock) {
        this.local = local;
        this.store = store;
        this.ttlMillis = config.ttl().toMillis();
        this.maxEntryBytes = config.maxEntryBytes();
        this.clock = clock;
    }

    private String key(String key) {
        return store.key("cache:" + key);
    }

    @Override
    public CachedResponse get(String key) {
        CachedResponse hit = local.get(key);
        if (hit != null || !store.up()) {
            return hit;
        }
        try {
            byte[] bytes = store.call(l -> l.sync().get(key(key)));
            if (bytes == null) {
                return null;
            }
            CachedResponse remote = CachedResponse.fromBytes(ByteBuffer.wrap(bytes));
            if (remote.storedAtMillis() + ttlMillis <= clock.millis()) {
                return null;
            }
            local.put(key, remote);
            return remote;
        } catch (RedisUnavailableException e) {
            return null;
        } catch (IllegalArgumentException e) {
            LOG.warn("cache entry in Redis is not readable ({}); ignored", e.getMessage());
            return null;
        }
    }

    @Override
    public void put(String key, CachedResponse entry) {
        local.put(key, entry);
        if (entry.size() > maxEntryBytes || !store.up()) {
            return;
        }
        long expiresAt = entry.storedAtMillis() + ttlMillis;
        if (expiresAt <= clock.millis()) {
            return;
        }
        ByteBuffer b = entry.toBytes();
        byte[] bytes = new byte[b.remaining()];
        b.get(bytes);
        try {
            store.call(l -> l.async().set(key(key), bytes, SetArgs.Builder.pxAt(expiresAt)))
                    .whenComplete((ok, failure) -> {
                        if (failure != null) {
                            store.failed(failure);
                        }
                    });
        } catch (RedisUnavailableException e) {
            // Counted by the store; the entry stays in the local tier.
        }
    }

    @Override
    public void close() {
        local.close();
    }
}
