package io.claudemirror.cache;

import jakarta.servlet.AsyncContext;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;
import java.io.IOException;
import java.util.ArrayDeque;

/**
 * Writes a replayed answer to the client without blocking a thread: chunks are queued by any thread (a live
 * flight delivers them on the upstream client's threads) and written and flushed one by one, each flushed on
 * its own so a stream reaches the client event by event (both containers aggregate small writes otherwise).
 *
 * <p>Non-blocking rules, as in the proxy's own writer: {@code write} and {@code flush} only after
 * {@code isReady()} returned true, and after it returned false only once {@code onWritePossible} was called.
 * Exactly one thread pumps at a time ({@link #pumping}); a call of {@code onWritePossible} that arrives while
 * another thread still pumps is remembered ({@link #wakeup}) instead of lost.
 */
final class ReplayWriter implements WriteListener {
    /** Told once, when the response ended or the client went away. */
    interface Done {
        void done(boolean clientGone);
    }

    private final AsyncContext async;
    private final ServletOutputStream out;
    private final Done done;
    private final ArrayDeque<byte[]> queue = new ArrayDeque<>();
    private boolean ready;
    private boolean pumping;
    private boolean wakeup;
    private boolean ending;
    private boolean finished;
    private boolean flushPending; // only touched by the pumping thread

    ReplayWriter(AsyncContext async, ServletOutputStream out, Done done) {
        this.async = async;
        this.out = out;
        this.done = done;
    }

    /** Starts writing: the container calls {@link #onWritePossible} when the output is ready. */
    void start() {
        out.setWriteListener(this);
    }

    /** Queues {@code bytes} (not copied: the caller must not change them). */
    void offer(byte[] bytes) {
        if (bytes.length == 0) {
            return;
        }
        synchronized (this) {
            if (finished || ending) {
                return;
            }
            queue.add(bytes);
            if (pumping || !ready) {
                return;
            }
            pumping = true;
        }
        pump();
    }

    /** Ends the response once everything queued is written. */
    void end() {
        synchronized (this) {
            if (finished || ending) {
                return;
            }
            ending = true;
            if (pumping || !ready) {
                return;
            }
            pumping = true;
        }
        pump();
    }

    @Override
    public void onWritePossible() {
        synchronized (this) {
            ready = true;
            if (pumping) {
                wakeup = true;
                return;
            }
            pumping = true;
        }
        pump();
    }

    private void pump() {
        try {
            while (true) {
                if (flushPending) {
                    out.flush();
                    flushPending = false;
                    if (!out.isReady() && park()) {
                        return;
                    }
                    continue;
                }
                byte[] next;
                boolean complete = false;
                synchronized (this) {
                    next = queue.poll();
                    if (next == null) {
                        if (!ending) {
                            pumping = false;
                            return;
                        }
                        complete = true;
                    }
                }
                if (complete) {
                    finish(false);
                    return;
                }
                out.write(next);
                flushPending = true;
                if (!out.isReady() && park()) {
                    return;
                }
            }
        } catch (IOException | RuntimeException e) {
            onError(e);
        }
    }

    /** The output is not ready: stop pumping unless the container already said it is ready again. */
    private synchronized boolean park() {
        if (wakeup) {
            wakeup = false;
            return false;
        }
        ready = false;
        pumping = false;
        return true;
    }

    @Override
    public void onError(Throwable failure) {
        finish(true);
    }

    /** The client went away (an async error): stop and complete. */
    void abandon() {
        finish(true);
    }

    private void finish(boolean clientGone) {
        synchronized (this) {
            if (finished) {
                return;
            }
            finished = true;
            queue.clear();
        }
        try {
            done.done(clientGone);
        } finally {
            try {
                async.complete();
            } catch (RuntimeException e) {
                // Already completed by the container after an error: nothing left to end.
            }
        }
    }
}
