package io.claudemirror.cluster;

import io.claudemirror.routing.SharedRouting;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SetArgs;
import java.nio.charset.StandardCharsets;

/**
 * Routing state shared through Redis: pacing is one script per paced send (the next free slot per upstream,
 * judged by Redis's clock, so {@code minInterval} holds across all nodes together); quota pauses are keys that
 * expire when the pause ends (each node pulls them every {@code redis.healthInterval}); stickiness is one key
 * per conversation with the sticky TTL. Redis errors throw, and the pool then uses its local state.
 */
final class RedisRoutingState implements SharedRouting {
    /** KEYS[1] next slot (ms, Redis clock); ARGV: interval ms, max wait ms. Returns the wait, or -1. */
    private static final String RESERVE = "local t = redis.call('TIME') local now = t[1] * 1000 + math.floor(t[2] / 1000) "
            + "local next = tonumber(redis.call('GET', KEYS[1]) or '0') local slot = math.max(now, next) "
            + "if slot - now > tonumber(ARGV[2]) then return -1 end "
            + "redis.call('SET', KEYS[1], slot + tonumber(ARGV[1]), 'PX', slot - now + tonumber(ARGV[1]) + 1000) "
            + "return slot - now";

    private final RedisStore store;

    RedisRoutingState(RedisStore store) {
        this.store = store;
    }

    @Override
    public long reserveSendSlot(String upstream, long minIntervalMillis, long maxWaitMillis) {
        Long wait = store.call(l -> l.sync().eval(RESERVE, ScriptOutputType.INTEGER,
                new String[] {store.key("pace:" + upstream)}, PermitLeases.bytes(minIntervalMillis),
                PermitLeases.bytes(Math.min(maxWaitMillis, Long.MAX_VALUE / 4))));
        return wait == null ? 0 : wait;
    }

    @Override
    public void pauseUntil(String upstream, long untilEpochMillis) {
        String key = store.key("pause:" + upstream);
        byte[] value = PermitLeases.bytes(untilEpochMillis);
        // GT semantics by hand: a shorter pause never replaces a longer one (same rule as the local state).
        long current = pausedUntil(upstream);
        if (untilEpochMillis > current) {
            store.call(l -> l.sync().set(key, value, SetArgs.Builder.pxAt(untilEpochMillis)));
        }
    }

    @Override
    public long pausedUntil(String upstream) {
        byte[] v = store.call(l -> l.sync().get(store.key("pause:" + upstream)));
        return v == null ? 0 : Long.parseLong(new String(v, StandardCharsets.UTF_8));
    }

    @Override
    public String sticky(String key) {
        byte[] v = store.call(l -> l.sync().get(store.key("sticky:" + key)));
        return v == null ? null : new String(v, StandardCharsets.UTF_8);
    }

    @Override
    public void stick(String key, String upstream, long ttlMillis) {
        byte[] value = upstream.getBytes(StandardCharsets.UTF_8);
        store.call(l -> l.async().set(store.key("sticky:" + key), value, SetArgs.Builder.px(ttlMillis)));
    }
}
