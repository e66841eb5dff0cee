package io.claudemirror.testkit;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Every request the fake received, in arrival order. Thread-safe.
 *
 * <p>Requests are recorded before the fake starts answering, so once a client has seen any response byte the
 * request is already here. The journal keeps the most recent {@linkplain FakeAnthropic#journalCapacity capacity}
 * requests (default 100,000) so that load tests cannot exhaust the heap; {@link #await} counts every request recorded
 * since the last {@link #clear()}, evicted or not.
 */
public final class RequestJournal {

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition recorded = lock.newCondition();
    private final ArrayDeque<RecordedRequest> entries = new ArrayDeque<>();
    private volatile int capacity;
    /** Requests recorded since the last clear, including evicted ones. */
    private long total;

    RequestJournal(int capacity) {
        this.capacity = capacity;
    }

    void capacity(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be >= 1: " + capacity);
        }
        this.capacity = capacity;
    }

    void record(RecordedRequest request) {
        lock.lock();
        try {
            entries.addLast(request);
            while (entries.size() > capacity) {
                entries.removeFirst();
            }
            total++;
            recorded.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** A snapshot of the retained requests, oldest first. */
    public List<RecordedRequest> all() {
        lock.lock();
        try {
            return List.copyOf(entries);
        } finally {
            lock.unlock();
        }
    }

    /**
     * The most recent request.
     *
     * @throws IllegalStateException when nothing was recorded
     */
    public RecordedRequest last() {
        lock.lock();
        try {
            if (entries.isEmpty()) {
                throw new IllegalStateException("the fake has not received any request");
            }
            return entries.getLast();
        } finally {
            lock.unlock();
        }
    }

    /** Forgets all recorded requests and resets the count used by {@link #await}. */
    public void clear() {
        lock.lock();
        try {
            entries.clear();
            total = 0;
        } finally {
            lock.unlock();
        }
    }

    /** Number of retained requests. */
    public int size() {
        lock.lock();
        try {
            return entries.size();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Waits until at least {@code count} requests were recorded (since the last clear) and returns the
     * {@code count}-th one (1-based).
     *
     * @throws IllegalStateException when the timeout passes first, or that request was already evicted
     */
    public RecordedRequest await(int count, Duration timeout) {
        if (count < 1) {
            throw new IllegalArgumentException("count is 1-based: " + count);
        }
        long remaining = timeout.toNanos();
        lock.lock();
        try {
            while (total < count) {
                if (remaining <= 0) {
                    throw new IllegalStateException("expected at least " + count + " request(s) within " + timeout
                            + " but the fake received " + total + ": " + describe());
                }
                remaining = recorded.awaitNanos(remaining);
            }
            long firstRetained = total - entries.size() + 1; // 1-based number of entries.getFirst()
            if (count < firstRetained) {
                throw new IllegalStateException("request #" + count + " was evicted (journal capacity " + capacity + ")");
            }
            long skip = count - firstRetained;
            for (RecordedRequest r : entries) {
                if (skip-- == 0) {
                    return r;
                }
            }
            throw new AssertionError("unreachable");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for request #" + count, e);
        } finally {
            lock.unlock();
        }
    }

    private String describe() {
        List<String> lines = new ArrayList<>();
        for (RecordedRequest r : entries) {
            lines.add(r.method() + " " + r.pathAndQuery());
        }
        return lines.toString();
    }
}
