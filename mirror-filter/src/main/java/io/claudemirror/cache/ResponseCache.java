package io.claudemirror.cache;

/**
 * Where complete upstream answers are kept, by {@link CacheKey}. The mirror ships one implementation on Ehcache
 * ({@link EhcacheResponseCache}: heap, optional disk); a cluster tier (Redis) implements the same three calls.
 * Implementations must be safe for concurrent use, must honour their own expiry (a {@link #get} never returns
 * an expired entry), and may refuse any {@link #put} (too large, full) silently: a cache is allowed to forget.
 */
public interface ResponseCache extends AutoCloseable {
    /** The entry stored under {@code key}, or null. */
    CachedResponse get(String key);

    /** Stores {@code entry} under {@code key}, replacing any previous one; may decline. */
    void put(String key, CachedResponse entry);

    /** Releases the tiers; a persistent tier keeps its entries for the next start. */
    @Override
    void close();
}
