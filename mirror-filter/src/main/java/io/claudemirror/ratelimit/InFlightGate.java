package io.claudemirror.ratelimit;

import java.util.Comparator;
import java.util.PriorityQueue;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The mirror-wide cap on requests in flight to the upstream side. Above the cap a caller waits in a queue
 * ordered by priority (higher first) and, within a priority, by arrival. A freed slot is handed directly to the
 * head of the queue, never released for grabs, so a newcomer cannot overtake a waiter and the order is exactly
 * the queue's.
 *
 * <p>The caller's thread blocks while it waits (see {@code QosFilter} for why), bounded by the wait it passes
 * and by {@code maxQueued} waiters at most.
 */
public final class InFlightGate {
    /** How {@link #acquire} ended. */
    public enum Outcome {
        /** A slot was free. */
        ADMITTED,
        /** A slot was handed over after waiting in the queue. */
        ADMITTED_AFTER_WAIT,
        /** The queue already held {@code maxQueued} waiters. */
        QUEUE_FULL,
        /** No slot within the wait (or the thread was interrupted). */
        TIMED_OUT;

        public boolean admitted() {
            return this == ADMITTED || this == ADMITTED_AFTER_WAIT;
        }
    }

    /** Higher priority first (compared, not negated: -Integer.MIN_VALUE overflows), then arrival. */
    private static final Comparator<Waiter> ORDER = (a, b) -> a.priority != b.priority
            ? Integer.compare(b.priority, a.priority) : Long.compare(a.sequence, b.sequence);

    private final int maxInFlight;
    private final int maxQueued;
    private final ReentrantLock lock = new ReentrantLock();
    private final PriorityQueue<Waiter> queue = new PriorityQueue<>(ORDER);
    private int inFlight;
    private long sequence;

    private static final class Waiter {
        final int priority;
        final long sequence;
        final Condition handedOver;
        boolean admitted;

        Waiter(int priority, long sequence, Condition handedOver) {
            this.priority = priority;
            this.sequence = sequence;
            this.handedOver = handedOver;
        }
    }

    public InFlightGate(int maxInFlight, int maxQueued) {
        if (maxInFlight < 1 || maxQueued < 0) {
            throw new IllegalArgumentException("maxInFlight must be >= 1 and maxQueued >= 0");
        }
        this.maxInFlight = maxInFlight;
        this.maxQueued = maxQueued;
    }

    /** Takes a slot, waiting at most {@code maxWaitNanos} behind higher-priority and earlier waiters. */
    public Outcome acquire(int priority, long maxWaitNanos) {
        lock.lock();
        try {
            if (inFlight < maxInFlight && queue.isEmpty()) {
                inFlight++;
                return Outcome.ADMITTED;
            }
            if (queue.size() >= maxQueued || maxWaitNanos <= 0) {
                return Outcome.QUEUE_FULL;
            }
            Waiter w = new Waiter(priority, sequence++, lock.newCondition());
            queue.add(w);
            long remaining = maxWaitNanos;
            while (!w.admitted) {
                if (remaining <= 0) {
                    queue.remove(w);
                    return Outcome.TIMED_OUT;
                }
                try {
                    remaining = w.handedOver.awaitNanos(remaining);
                } catch (InterruptedException e) {
                    // The container is stopping this thread; keep the flag for it. A slot handed over just before
                    // the interrupt is ours and is kept (the caller releases it on completion as usual).
                    Thread.currentThread().interrupt();
                    if (w.admitted) {
                        return Outcome.ADMITTED_AFTER_WAIT;
                    }
                    queue.remove(w);
                    return Outcome.TIMED_OUT;
                }
            }
            return Outcome.ADMITTED_AFTER_WAIT;
        } finally {
            lock.unlock();
        }
    }

    /** Gives back a slot: to the head of the queue if anyone waits, else to the pool. */
    public void release() {
        lock.lock();
        try {
            Waiter next = queue.poll();
            if (next != null) {
                next.admitted = true;
                next.handedOver.signal();
            } else if (inFlight > 0) {
                inFlight--;
            }
        } finally {
            lock.unlock();
        }
    }

    public int inFlight() {
        lock.lock();
        try {
            return inFlight;
        } finally {
            lock.unlock();
        }
    }

    public int queued() {
        lock.lock();
        try {
            return queue.size();
        } finally {
            lock.unlock();
        }
    }

    public int maxInFlight() {
        return maxInFlight;
    }

    @Override
    public String toString() {
        return "InFlightGate[max=" + maxInFlight + ", maxQueued=" + maxQueued + "]";
    }
}
