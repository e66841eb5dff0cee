package io.claudemirror.routing;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Which upstream each conversation last used, so its next turn goes to the same one and finds its prompt cache
 * there (the cache lives per organisation and workspace, i.e. per upstream key). Entries expire {@code ttl} after
 * their last use; at most {@code maxEntries} are kept, the least recently used going first, so memory stays
 * bounded whatever the clients send.
 */
final class StickyTable {
    private final long ttlNanos;
    private final LinkedHashMap<String, long[]> map;

    StickyTable(long ttlNanos, int maxEntries) {
        this.ttlNanos = ttlNanos;
        this.map = new LinkedHashMap<>(64, 0.75f, true) {
            private static final long serialVersionUID = 1L;

            @Override
            protected boolean removeEldestEntry(Map.Entry<String, long[]> eldest) {
                return size() > maxEntries;
            }
        };
    }

    /** The upstream index bound to {@code key}, or -1 when none or expired. */
    synchronized int get(String key, long now) {
        long[] e = map.get(key);
        if (e == null) {
            return -1;
        }
        if (now - e[1] >= 0) {
            map.remove(key);
            return -1;
        }
        return (int) e[0];
    }

    /** Binds (or re-binds) {@code key} to {@code index}, expiring {@code ttl} from now. */
    synchronized void put(String key, int index, long now) {
        long[] e = map.get(key);
        if (e == null) {
            map.put(key, new long[] {index, now + ttlNanos});
        } else {
            e[0] = index;
            e[1] = now + ttlNanos;
        }
    }

    synchronized int size() {
        return map.size();
    }
}
