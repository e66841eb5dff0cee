package io.claudemirror.cluster;

import io.claudemirror.ownership.OwnershipIndex;
import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.SetArgs;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The file and batch ownership index in Redis, so a batch created through one node is its tenant's on every
 * node. One string key per id ({@code <prefix>own:<kind>:<id>} → {@code tenant \t createdMillis \t
 * expiresMillis}); a record whose upstream forgets the id carries that expiry as the key's own ({@code PXAT}),
 * so Redis drops it and {@link #sweep} has nothing to do.
 *
 * <p>Durability is Redis's: run it with {@code appendonly yes} and {@code appendfsync always} (a record then
 * survives a Redis crash once {@link #record} returned) or {@code everysec} (at most a second of records lost,
 * which makes those ids nobody's: fail closed, recoverable with the operator's tool). Every Redis error makes a
 * check answer "nobody's" and a write throw: ownership never fails open.
 */
public final class RedisOwnershipIndex implements OwnershipIndex {
    private final RedisStore store;
    private final Clock clock;

    public RedisOwnershipIndex(RedisStore store, Clock clock) {
        this.store = store;
        this.clock = clock;
    }

    private String key(String kind, String id) {
        return store.key("own:" + kind + ":" + id);
    }

    @Override
    public void record(String tenant, String kind, String id, Instant expiresAt) {
        write(tenant, kind, id, clock.instant(), expiresAt);
    }

    private void write(String tenant, String kind, String id, Instant createdAt, Instant expiresAt) {
        byte[] value = (tenant + "\t" + createdAt.toEpochMilli() + "\t" + (expiresAt == null ? 0 : expiresAt.toEpochMilli()))
                .getBytes(StandardCharsets.UTF_8);
        SetArgs args = expiresAt == null ? new SetArgs() : SetArgs.Builder.pxAt(expiresAt.toEpochMilli());
        // Ownership is written even when the node thinks Redis is down: losing a record costs the tenant its id.
        store.callEvenIfDown(l -> l.sync().set(key(kind, id), value, args));
    }

    @Override
    public String owner(String kind, String id) {
        try {
            Entry e = read(kind, id);
            return e == null ? null : e.tenant();
        } catch (RedisUnavailableException e) {
            store.metrics().rejectedClosed();
            throw new OwnershipUnavailableException(e);
        }
    }

    private Entry read(String kind, String id) {
        byte[] v = store.callEvenIfDown(l -> l.sync().get(key(kind, id)));
        return v == null ? null : parse(kind, id, v);
    }

    private Entry parse(String kind, String id, byte[] v) {
        String[] parts = new String(v, StandardCharsets.UTF_8).split("\t", -1);
        if (parts.length != 3) {
            return null;
        }
        long expires = Long.parseLong(parts[2]);
        Instant expiresAt = expires == 0 ? null : Instant.ofEpochMilli(expires);
        if (expiresAt != null && !expiresAt.isAfter(clock.instant())) {
            return null;
        }
        return new Entry(kind, id, parts[0], Instant.ofEpochMilli(Long.parseLong(parts[1])), expiresAt);
    }

    @Override
    public List<Entry> list() {
        List<Entry> all = new ArrayList<>();
        String prefix = store.key("own:");
        store.callEvenIfDown(l -> {
            ScanCursor cursor = ScanCursor.INITIAL;
            do {
                KeyScanCursor<String> page = l.sync().scan(cursor, ScanArgs.Builder.matches(prefix + "*").limit(500));
                for (String k : page.getKeys()) {
                    String rest = k.substring(prefix.length());
                    int colon = rest.indexOf(':');
                    byte[] v = l.sync().get(k);
                    if (colon > 0 && v != null) {
                        Entry e = parse(rest.substring(0, colon), rest.substring(colon + 1), v);
                        if (e != null) {
                            all.add(e);
                        }
                    }
                }
                cursor = page;
            } while (!cursor.isFinished());
            return null;
        });
        all.sort(Comparator.comparing(Entry::createdAt));
        return all;
    }

    @Override
    public String assign(String kind, String id, String tenant, Instant expiresAt) {
        Entry previous = read(kind, id);
        write(tenant, kind, id, previous == null ? clock.instant() : previous.createdAt(), expiresAt);
        return previous == null ? null : previous.tenant();
    }

    @Override
    public boolean remove(String kind, String id) {
        Long n = store.callEvenIfDown(l -> l.sync().del(key(kind, id)));
        return n != null && n > 0;
    }

    @Override
    public int sweep(Instant now) {
        // Redis expires the records itself (PXAT).
        return 0;
    }

    @Override
    public void close() {
        // The connection belongs to the store.
    }
}
