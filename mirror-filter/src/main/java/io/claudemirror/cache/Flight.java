package io.claudemirror.cache;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One upstream call that identical requests share (single flight). The leader's {@link FlightRecorder} feeds it
 * the upstream's bytes; followers either wait for the end (to be served the whole answer) or, when the answer is
 * a stream and they asked for one, subscribe: they get every chunk received so far and then the rest live.
 *
 * <p>All state changes and deliveries happen under the flight's lock, so a subscriber sees the chunks in order
 * and exactly once whichever thread it joined on. Subscribers must not block and must not call back into the
 * flight (see {@link Subscriber}).
 *
 * <p>The lock is a {@link ReentrantLock}, not a monitor, because followers wait in {@link #await} on request
 * threads: on Java 21–23 a virtual thread in {@code Object.wait} keeps its carrier thread (the scheduler adds
 * carriers to compensate, up to {@code jdk.virtualThreadScheduler.maxPoolSize}, 256 by default), so a herd of
 * identical requests could hold every carrier until their deadlines, the leader's answer included where the host
 * delivers it on virtual threads. A virtual thread waiting on a {@link Condition} leaves its carrier free.
 */
final class Flight {
    enum State {
        /** The leader has not received an answer yet. */
        PENDING,
        /** A 200 is arriving. */
        RECEIVING,
        /** The answer is complete and stored in {@link #result}. */
        DONE,
        /** The leader failed, was not answered with a 200, or the answer grew over the entry cap. */
        FAILED
    }

    /** A live follower of a stream. Called under the flight's lock: enqueue and return. */
    interface Subscriber {
        void chunk(byte[] bytes);

        /** The stream ended; {@code complete} is false when it broke off. */
        void end(boolean complete);
    }

    final String key;
    private final long maxBytes;
    private final ReentrantLock lock = new ReentrantLock();
    /** Signalled on every change of {@link #state}. */
    private final Condition changed = lock.newCondition();
    private State state = State.PENDING;
    private boolean sse;
    private String contentType;
    private final List<byte[]> chunks = new ArrayList<>();
    private long size;
    private final List<Subscriber> subscribers = new ArrayList<>(2);
    private CachedResponse result;
    private boolean overflowed;
    private final java.util.concurrent.atomic.AtomicInteger followers = new java.util.concurrent.atomic.AtomicInteger();

    /** True once the leader's client left: the flight is ending and takes no new followers. */
    private volatile java.util.function.BooleanSupplier leaderGone = () -> false;

    /** Set by the leader: how to tell that its client left. */
    void leaderGone(java.util.function.BooleanSupplier gone) {
        this.leaderGone = gone;
    }

    /** The leader's client left; the upstream call is being cancelled and the flight will fail. */
    boolean leaderGone() {
        return leaderGone.getAsBoolean();
    }

    Flight(String key, long maxBytes) {
        this.key = key;
        this.maxBytes = maxBytes;
    }

    void receiving(String contentType, boolean sse) {
        lock.lock();
        try {
            if (state == State.PENDING) {
                state = State.RECEIVING;
                this.contentType = contentType;
                this.sse = sse;
                // Streaming followers that joined before the answer began wait for exactly this.
                changed.signalAll();
            }
        } finally {
            lock.unlock();
        }
    }

    /** One chunk of the answer; {@code bytes} is owned by the flight from now on. False once over the cap. */
    boolean chunk(byte[] bytes) {
        lock.lock();
        try {
            if (state == State.RECEIVING || overflowed) {
                for (int i = 0; i < subscribers.size(); i++) {
                    subscribers.get(i).chunk(bytes);
                }
            }
            if (state != State.RECEIVING) {
                return false;
            }
            size += bytes.length;
            if (size > maxBytes) {
                // Too large to keep: live subscribers still get the rest, nobody else may join or wait for it.
                overflowed = true;
                chunks.clear();
                size = 0;
                state = State.FAILED;
                changed.signalAll();
                return false;
            }
            chunks.add(bytes);
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** Ends the live subscribers of a flight that grew over the cap, when its stream ended. */
    void endOverflowed(boolean complete) {
        lock.lock();
        try {
            endSubscribers(complete);
        } finally {
            lock.unlock();
        }
    }

    /** Every byte recorded so far, in one array. */
    byte[] recorded() {
        lock.lock();
        try {
            byte[] all = new byte[(int) size];
            int at = 0;
            for (byte[] c : chunks) {
                System.arraycopy(c, 0, all, at, c.length);
                at += c.length;
            }
            return all;
        } finally {
            lock.unlock();
        }
    }

    void succeed(CachedResponse entry) {
        lock.lock();
        try {
            result = entry;
            state = State.DONE;
            endSubscribers(true);
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Ends the flight as failed unless it already ended; live subscribers get a broken stream. */
    void fail() {
        lock.lock();
        try {
            if (state == State.DONE) {
                return;
            }
            state = State.FAILED;
            endSubscribers(false);
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    private void endSubscribers(boolean complete) {
        for (int i = 0; i < subscribers.size(); i++) {
            subscribers.get(i).end(complete);
        }
        subscribers.clear();
    }

    /**
     * Waits until the flight is over, or, when {@code live}, until a stream is arriving that a subscriber can
     * follow. Returns the state then; {@code PENDING} or {@code RECEIVING} after the deadline passed.
     */
    State await(boolean live, long deadlineNanos) throws InterruptedException {
        lock.lock();
        try {
            while (state == State.PENDING || (state == State.RECEIVING && !(live && sse))) {
                long left = deadlineNanos - System.nanoTime();
                if (left <= 0) {
                    break;
                }
                changed.awaitNanos(left);
            }
            return state;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Subscribes to a stream being received: {@code s} first gets every chunk so far, then each new one.
     * Returns the state: {@code RECEIVING} when subscribed, else the flight ended meanwhile ({@code DONE}: use
     * {@link #result}; {@code FAILED}: not subscribed).
     */
    State subscribe(Subscriber s) {
        lock.lock();
        try {
            if (state == State.RECEIVING && leaderGone()) {
                // Its leader's client left: the stream is about to break off. Not worth following.
                return State.FAILED;
            }
            if (state == State.RECEIVING) {
                for (byte[] c : chunks) {
                    s.chunk(c);
                }
                subscribers.add(s);
            }
            return state;
        } finally {
            lock.unlock();
        }
    }

    void followed() {
        followers.incrementAndGet();
    }

    /** How many requests joined this flight as followers. */
    int followers() {
        return followers.get();
    }

    CachedResponse result() {
        lock.lock();
        try {
            return result;
        } finally {
            lock.unlock();
        }
    }

    String contentType() {
        lock.lock();
        try {
            return contentType;
        } finally {
            lock.unlock();
        }
    }
}
