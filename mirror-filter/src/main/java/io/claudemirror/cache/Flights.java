package io.claudemirror.cache;

import java.util.concurrent.ConcurrentHashMap;

/** The flights in progress, by cache key: the first request for a key leads, the others follow. */
final class Flights {
    private final ConcurrentHashMap<String, Flight> byKey = new ConcurrentHashMap<>();
    private final long maxEntryBytes;

    Flights(long maxEntryBytes) {
        this.maxEntryBytes = maxEntryBytes;
    }

    /** A flight for {@code key} and whether the caller leads it (it created it) or follows. */
    record Joined(Flight flight, boolean leader) {
    }

    Joined join(String key) {
        while (true) {
            Flight existing = byKey.get(key);
            if (existing != null && existing.leaderGone()) {
                // A flight whose leader left is ending: a new request leads a new one instead of following it.
                byKey.remove(key, existing);
                continue;
            }
            if (existing != null) {
                existing.followed();
                return new Joined(existing, false);
            }
            Flight created = new Flight(key, maxEntryBytes);
            if (byKey.putIfAbsent(key, created) == null) {
                return new Joined(created, true);
            }
        }
    }

    /** Removes {@code flight} once it ended, so the next request for its key finds the cache, not the flight. */
    void remove(Flight flight) {
        byKey.remove(flight.key, flight);
    }

    int size() {
        return byKey.size();
    }

    /** The flight in progress for {@code key}, or null (for tests and diagnostics). */
    Flight get(String key) {
        return byKey.get(key);
    }
}
