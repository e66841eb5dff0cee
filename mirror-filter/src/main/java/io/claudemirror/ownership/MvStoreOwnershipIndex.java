package io.claudemirror.ownership;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.h2.mvstore.MVMap;
import org.h2.mvstore.MVStore;
import org.h2.mvstore.MVStoreException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ownership index in one H2 MVStore file, {@code {state.dir}/ownership.mv.db}. MVStore writes append-only
 * chunks and, on opening, rolls back to the last complete one, so a crash (kill -9, power loss after the sync)
 * loses nothing that {@link #record} had returned from: every change is committed and synced before the call
 * returns. Ownership changes are rare (an upload, a batch creation, a delete), so a sync each is cheap.
 *
 * <p>One file is opened once per JVM: two mirrors in one JVM on the same directory (two web contexts, tests)
 * share it, reference-counted. A second process on the same directory fails to open it, by design.
 */
public final class MvStoreOwnershipIndex implements OwnershipIndex {
    /** The store's file name inside {@code state.dir}. */
    public static final String FILE_NAME = "ownership.mv.db";
    static final String MAP_NAME = "ownership";
    private static final Duration SWEEP_EVERY = Duration.ofHours(1);
    private static final char SEP = '\t';

    private static final Logger LOG = LoggerFactory.getLogger(MvStoreOwnershipIndex.class);
    private static final Map<Path, Shared> OPEN = new HashMap<>();

    /** One open store and how many indexes use it. */
    private static final class Shared {
        final Path file;
        final MVStore store;
        final MVMap<String, String> map;
        int users;

        Shared(Path file, MVStore store) {
            this.file = file;
            this.store = store;
            this.map = store.openMap(MAP_NAME);
        }
    }

    private final Shared shared;
    private final Clock clock;
    private volatile boolean closed;
    private volatile Instant lastSweep;

    private MvStoreOwnershipIndex(Shared shared, Clock clock) {
        this.shared = shared;
        this.clock = clock;
    }

    /** Opens (creating if needed) the index under {@code stateDir}. */
    public static MvStoreOwnershipIndex open(Path stateDir) {
        return open(stateDir, Clock.systemUTC());
    }

    /**
     * Opens the index under {@code stateDir} with {@code clock} deciding expiry, and drops what expired meanwhile.
     *
     * @throws IllegalStateException naming the directory when it cannot be created or the file cannot be opened
     *                               (another process holds it, or it is not an MVStore file)
     */
    public static MvStoreOwnershipIndex open(Path stateDir, Clock clock) {
        Path file;
        try {
            Files.createDirectories(stateDir);
            file = stateDir.toRealPath().resolve(FILE_NAME);
        } catch (IOException e) {
            throw new IllegalStateException("state.dir " + stateDir + ": cannot create the directory: " + e, e);
        }
        Shared s;
        synchronized (OPEN) {
            s = OPEN.get(file);
            if (s == null) {
                MVStore store;
                try {
                    // No background auto-commit: each change is committed (and synced) by the call that made it.
                    store = new MVStore.Builder().fileName(file.toString()).autoCommitDisabled().open();
                } catch (MVStoreException e) {
                    throw new IllegalStateException("state.dir " + stateDir + ": cannot open " + file
                            + " (is another mirror process using this state.dir?): " + e.getMessage(), e);
                }
                s = new Shared(file, store);
                OPEN.put(file, s);
            }
            s.users++;
        }
        MvStoreOwnershipIndex index = new MvStoreOwnershipIndex(s, clock);
        int dropped = index.sweep(clock.instant());
        LOG.info("Claude Mirror ownership index: {} ({} record(s), {} expired dropped)", file, s.map.size(), dropped);
        return index;
    }

    static String key(String kind, String id) {
        return kind + ":" + id;
    }

    @Override
    public void record(String tenant, String kind, String id, Instant expiresAt) {
        put(kind, id, tenant, expiresAt);
        Instant now = clock.instant();
        Instant last = lastSweep;
        if (last == null || now.isAfter(last.plus(SWEEP_EVERY))) {
            sweep(now);
        }
    }

    @Override
    public String assign(String kind, String id, String tenant, Instant expiresAt) {
        String previous = put(kind, id, tenant, expiresAt);
        return previous == null ? null : decode(kind, id, previous).tenant();
    }

    private String put(String kind, String id, String tenant, Instant expiresAt) {
        check();
        String value = tenant + SEP + clock.millis() + SEP + (expiresAt == null ? 0 : expiresAt.toEpochMilli());
        String previous = shared.map.put(key(kind, id), value);
        durable();
        return previous;
    }

    @Override
    public String owner(String kind, String id) {
        check();
        String v = shared.map.get(key(kind, id));
        if (v == null) {
            return null;
        }
        Entry e = decode(kind, id, v);
        return expired(e, clock.instant()) ? null : e.tenant();
    }

    @Override
    public List<Entry> list() {
        check();
        Instant now = clock.instant();
        List<Entry> out = new ArrayList<>();
        for (Map.Entry<String, String> m : shared.map.entrySet()) {
            String k = m.getKey();
            int colon = k.indexOf(':');
            Entry e = decode(k.substring(0, colon), k.substring(colon + 1), m.getValue());
            if (!expired(e, now)) {
                out.add(e);
            }
        }
        out.sort(Comparator.comparing(Entry::createdAt).thenComparing(Entry::id));
        return out;
    }

    @Override
    public boolean remove(String kind, String id) {
        check();
        boolean had = shared.map.remove(key(kind, id)) != null;
        if (had) {
            durable();
        }
        return had;
    }

    @Override
    public int sweep(Instant now) {
        check();
        lastSweep = now;
        int n = 0;
        for (Iterator<Map.Entry<String, String>> it = shared.map.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<String, String> m = it.next();
            String k = m.getKey();
            int colon = k.indexOf(':');
            if (expired(decode(k.substring(0, colon), k.substring(colon + 1), m.getValue()), now)) {
                shared.map.remove(k, m.getValue());
                n++;
            }
        }
        if (n > 0) {
            durable();
        }
        return n;
    }

    private static boolean expired(Entry e, Instant now) {
        return e.expiresAt() != null && !now.isBefore(e.expiresAt());
    }

    private static Entry decode(String kind, String id, String value) {
        // From the end: the two numbers never hold a tab, whatever a tenant id holds.
        int b = value.lastIndexOf(SEP);
        int a = value.lastIndexOf(SEP, b - 1);
        long created = Long.parseLong(value.substring(a + 1, b));
        long expires = Long.parseLong(value.substring(b + 1));
        return new Entry(kind, id, value.substring(0, a), Instant.ofEpochMilli(created),
                expires == 0 ? null : Instant.ofEpochMilli(expires));
    }

    /** Commits the change and syncs it to the disk before the caller goes on. */
    private void durable() {
        shared.store.commit();
        shared.store.sync();
    }

    private void check() {
        if (closed) {
            throw new IllegalStateException("the ownership index is closed");
        }
    }

    /** The store file this index writes. */
    public Path file() {
        return shared.file;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        synchronized (OPEN) {
            if (--shared.users == 0) {
                OPEN.remove(shared.file);
                shared.store.close();
            }
        }
    }
}
