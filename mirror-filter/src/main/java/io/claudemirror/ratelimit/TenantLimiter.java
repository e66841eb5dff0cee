package io.claudemirror.ratelimit;

import io.claudemirror.config.MirrorConfig;
import io.claudemirror.config.MirrorConfig.Tenant;

/**
 * The seam between the rate-limit filter and where limits live. {@link LocalTenantLimiter} keeps Bucket4j
 * buckets in this JVM; a cluster implementation (Redis) keeps them shared, so N replicas enforce the configured
 * limit once rather than N times.
 *
 * <p>Contract every implementation keeps:
 * <ul>
 *   <li>{@link #admit} is all-or-nothing across the tenant's limits: a rejected request has charged nothing,
 *       and concurrent admissions never over-admit.</li>
 *   <li>A grant is settled exactly once, whatever way the request ended; {@link #settle} releases the
 *       concurrency permit and corrects the token reservations to what the upstream really used.</li>
 *   <li>Request counts are never refunded: a request that reached the mirror was made.</li>
 * </ul>
 */
public interface TenantLimiter extends AutoCloseable {

    /** Value for {@link #settle}: keep the reservation as the final charge (real usage unknown). */
    long KEEP_RESERVATION = -1;

    /**
     * Tries to take one request, {@code inputTokens} and {@code outputTokens} (also charged to the daily
     * budget), and, if {@code permit}, one concurrency permit, all at once.
     *
     * @param inputTokens  the input estimate (0 for calls that count only as requests)
     * @param outputTokens the output reservation, i.e. {@code max_tokens} (0 likewise)
     */
    Admission admit(Tenant tenant, long inputTokens, long outputTokens, boolean permit);

    /**
     * Ends a granted request: releases its permit and corrects its token charges to the real counts. A count
     * of {@link #KEEP_RESERVATION} keeps what was reserved; 0 refunds it. Ignores rejections and repeat calls.
     */
    void settle(Admission admission, long realInputTokens, long realOutputTokens);

    /** The tenant's headroom now, for response headers. */
    Headroom headroom(Tenant tenant);

    @Override
    default void close() {
    }

    /**
     * The local limiter for {@code config}. With {@code redis.uri} set the runtime registers the cluster-wide
     * {@code io.claudemirror.cluster.RedisTenantLimiter} before anyone calls this.
     */
    static TenantLimiter create(MirrorConfig config) {
        return new LocalTenantLimiter(config.tenants(), new WallClock());
    }
}
