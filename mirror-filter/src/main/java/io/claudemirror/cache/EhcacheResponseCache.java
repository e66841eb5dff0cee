package io.claudemirror.cache;

import io.claudemirror.config.MirrorConfig;
import java.io.File;
import java.nio.ByteBuffer;
import org.ehcache.Cache;
import org.ehcache.CacheManager;
import org.ehcache.config.builders.CacheConfigurationBuilder;
import org.ehcache.config.builders.CacheManagerBuilder;
import org.ehcache.config.builders.ExpiryPolicyBuilder;
import org.ehcache.config.builders.ResourcePoolsBuilder;
import org.ehcache.config.units.EntryUnit;
import org.ehcache.config.units.MemoryUnit;
import org.ehcache.spi.serialization.Serializer;
import org.ehcache.spi.serialization.SerializerException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The response cache on Ehcache 3, built in code from {@code cache.*} (no XML: Ehcache's XML support needs JAXB,
 * which the build leaves out). A heap tier bounded by entry count ({@code cache.maxEntries}; Ehcache evicts by
 * sampling, an approximation of least-recently-used), time-to-live expiry ({@code cache.ttl}), and, when
 * {@code cache.diskDir} is set, a persistent disk tier of at most {@code cache.diskMaxBytes} that survives a
 * clean restart. Entries over {@code cache.maxEntryBytes} are not stored. Values cross the disk tier through
 * {@link EntrySerializer}, an explicit byte format, never Java serialization.
 */
public final class EhcacheResponseCache implements ResponseCache {
    private static final Logger LOG = LoggerFactory.getLogger(EhcacheResponseCache.class);
    static final String CACHE_NAME = "claude-mirror-responses";

    private final CacheManager manager;
    private final Cache<String, CachedResponse> cache;
    private final long maxEntryBytes;

    public EhcacheResponseCache(MirrorConfig.Cache config) {
        this.maxEntryBytes = config.maxEntryBytes();
        boolean disk = config.diskDir() != null && !config.diskDir().isBlank();
        ResourcePoolsBuilder pools = ResourcePoolsBuilder.newResourcePoolsBuilder()
                .heap(config.maxEntries(), EntryUnit.ENTRIES);
        if (disk) {
            pools = pools.disk(config.diskMaxBytes(), MemoryUnit.B, true);
        }
        CacheConfigurationBuilder<String, CachedResponse> entries = CacheConfigurationBuilder
                .newCacheConfigurationBuilder(String.class, CachedResponse.class, pools)
                .withExpiry(ExpiryPolicyBuilder.timeToLiveExpiration(config.ttl()))
                .withValueSerializer(new EntrySerializer());
        manager = disk
                ? CacheManagerBuilder.newCacheManagerBuilder()
                        .with(CacheManagerBuilder.persistence(new File(config.diskDir())))
                        .withCache(CACHE_NAME, entries).build(true)
                : CacheManagerBuilder.newCacheManagerBuilder().withCache(CACHE_NAME, entries).build(true);
        cache = manager.getCache(CACHE_NAME, String.class, CachedResponse.class);
        LOG.info("Claude Mirror cache: heap {} entries, ttl {}, entries up to {} bytes{}", config.maxEntries(),
                config.ttl(), maxEntryBytes, disk ? ", disk tier " + config.diskMaxBytes() + " bytes" : "");
    }

    @Override
    public CachedResponse get(String key) {
        try {
            return cache.get(key);
        } catch (RuntimeException e) {
            // A corrupt or unreadable disk entry is a miss, not a failed request.
            LOG.warn("Claude Mirror cache: lookup failed ({}); treated as a miss", e.getClass().getSimpleName());
            return null;
        }
    }

    @Override
    public void put(String key, CachedResponse entry) {
        if (entry.size() > maxEntryBytes) {
            return;
        }
        try {
            cache.put(key, entry);
        } catch (RuntimeException e) {
            LOG.warn("Claude Mirror cache: store failed ({})", e.getClass().getSimpleName());
        }
    }

    @Override
    public void close() {
        // Closing is what makes the disk tier valid for the next start: Ehcache drops a tier not closed cleanly.
        manager.close();
    }

    /** The explicit byte form of an entry ({@link CachedResponse#toBytes}). */
    static final class EntrySerializer implements Serializer<CachedResponse> {
        @Override
        public ByteBuffer serialize(CachedResponse object) {
            return object.toBytes();
        }

        @Override
        public CachedResponse read(ByteBuffer binary) {
            try {
                return CachedResponse.fromBytes(binary);
            } catch (IllegalArgumentException e) {
                throw new SerializerException(e.getMessage(), e);
            }
        }

        @Override
        public boolean equals(CachedResponse object, ByteBuffer binary) {
            CachedResponse other = read(binary);
            return object.stream() == other.stream() && object.storedAtMillis() == other.storedAtMillis()
                    && object.contentType().equals(other.contentType())
                    && java.util.Arrays.equals(object.body(), other.body());
        }
    }
}
