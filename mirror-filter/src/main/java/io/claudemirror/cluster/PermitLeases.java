package io.claudemirror.cluster;

import io.lettuce.core.ScriptOutputType;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Concurrency permits ({@code maxConcurrent}) as leases in Redis: one sorted set per tenant whose members are
 * the leases held anywhere in the cluster, scored by when each expires. Taking a permit is one script that drops
 * expired leases, counts the rest and adds one only below the limit, so concurrent nodes never over-admit. This
 * node renews its leases every third of {@code redis.leaseTtl} while their requests run; a node that dies stops
 * renewing and its permits return within one lease lifetime, without anyone having to notice the death.
 *
 * <p>Expiry is judged by Redis's own clock ({@code TIME} inside the scripts), so the nodes' clocks do not matter.
 */
final class PermitLeases {
    private static final Logger LOG = LoggerFactory.getLogger(PermitLeases.class);

    private static final String NOW = "local t = redis.call('TIME') local now = t[1] * 1000 + math.floor(t[2] / 1000) ";
    /** KEYS[1] the tenant's set; ARGV: limit, ttl millis, lease id. Returns 1 when taken. */
    private static final String ACQUIRE = NOW
            + "redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now) "
            + "if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then return 0 end "
            + "redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[3]) "
            + "redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]) * 2) return 1";
    /** KEYS[1] the tenant's set; ARGV: ttl millis, lease ids… Extends only leases still present (XX). */
    private static final String RENEW = NOW
            + "for i = 2, #ARGV do redis.call('ZADD', KEYS[1], 'XX', now + tonumber(ARGV[1]), ARGV[i]) end "
            + "redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[1]) * 2) return 1";
    /** KEYS[1] the tenant's set. Live leases now. */
    private static final String COUNT = NOW + "return redis.call('ZCOUNT', KEYS[1], now, '+inf')";

    private final RedisStore store;
    private final long ttlMillis;
    private final String node = UUID.randomUUID().toString().substring(0, 8);
    private final AtomicLong sequence = new AtomicLong();
    /** Leases this node holds, by tenant, for renewal. */
    private final Map<String, Set<String>> held = new ConcurrentHashMap<>();

    PermitLeases(RedisStore store) {
        this.store = store;
        this.ttlMillis = store.config().leaseTtl().toMillis();
        long every = Math.max(100, ttlMillis / 3);
        store.scheduler().scheduleWithFixedDelay(this::renewAll, every, every, TimeUnit.MILLISECONDS);
    }

    private String key(String tenant) {
        return store.tenantKey(tenant, "permits");
    }

    /** Takes one of {@code limit} permits; returns the lease id, or null when all are in use. */
    String acquire(String tenant, int limit) {
        String lease = node + ":" + sequence.incrementAndGet();
        Long taken = store.call(l -> l.sync().eval(ACQUIRE, ScriptOutputType.INTEGER, new String[] {key(tenant)},
                bytes(limit), bytes(ttlMillis), bytes(lease)));
        if (taken == null || taken == 0) {
            return null;
        }
        held.computeIfAbsent(tenant, t -> ConcurrentHashMap.newKeySet()).add(lease);
        return lease;
    }

    /** Returns a lease; when Redis is down it simply expires there. */
    void release(String tenant, String lease) {
        Set<String> s = held.get(tenant);
        if (s != null) {
            s.remove(lease);
        }
        store.call(l -> l.sync().zrem(key(tenant), bytes(lease)));
    }

    /** Leases of {@code tenant} alive now across the cluster. */
    int inFlight(String tenant) {
        Long n = store.call(l -> l.sync().eval(COUNT, ScriptOutputType.INTEGER, new String[] {key(tenant)}));
        return n == null ? 0 : n.intValue();
    }

    private void renewAll() {
        if (!store.up()) {
            return;
        }
        for (Map.Entry<String, Set<String>> e : held.entrySet()) {
            List<byte[]> args = new ArrayList<>();
            args.add(bytes(ttlMillis));
            for (String lease : e.getValue()) {
                args.add(bytes(lease));
            }
            if (args.size() == 1) {
                continue;
            }
            try {
                store.call(l -> l.sync().eval(RENEW, ScriptOutputType.INTEGER, new String[] {key(e.getKey())},
                        args.toArray(new byte[0][])));
            } catch (RedisUnavailableException ex) {
                // Counted by the store; the next round tries again, and a lost lease only frees a permit early.
                LOG.debug("lease renewal for tenant {} failed", e.getKey());
                return;
            }
        }
    }

    /** A clean shutdown: returns every lease this node holds, so its permits do not wait for expiry. */
    void releaseAll() {
        for (Map.Entry<String, Set<String>> e : held.entrySet()) {
            for (String lease : List.copyOf(e.getValue())) {
                try {
                    release(e.getKey(), lease);
                } catch (RedisUnavailableException ex) {
                    return; // they expire on their own
                }
            }
        }
    }

    static byte[] bytes(Object value) {
        return String.valueOf(value).getBytes(StandardCharsets.UTF_8);
    }
}
