package io.claudemirror.cache;

import io.claudemirror.container.ResponseWriteGate;
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
 * another thread still pumps is remembered ({@link #wakeup}) instead of lost. Each call on the stream passes the
 * {@link ResponseWriteGate}: the pumping thread is often not one of the container's.
 */
final class ReplayWriter implements WriteListener {
    /** Told once, when the response ended or the client went away. */
    interface Done {
        void done(boolean clientGone);
    }

    private final AsyncContext async;
    private final ServletOutputStream out;
    private final ResponseWriteGate gate;
    private final Done done;
    private final ArrayDeque<byte[]> queue = new ArrayDeque<>();
    private boolean ready;
    private boolean pumping;
    private boolean wakeup;
    private boolean ending;
    private boolean finished;
    private boolean flushPending; // only touched by the pumping thread

    ReplayWriter(AsyncContext async, ServletOutputStream out, ResponseWriteGate gate, Done done) {
        this.async = async;
        this.out = out;
        this.gate = gate;
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
                    flushPending = false;
                    if (!flush() && park()) {
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
                flushPending = true;
                if (!write(next) && park()) {
                    return;
                }
            }
        } catch (IOException | RuntimeException e) {
            onError(e);
        }
    }

    /** Writes {@code bytes}; true when the stream is still ready. */
    private boolean write(byte[] bytes) throws IOException {
        gate.enter();
        try {
            out.write(bytes);
            return out.isReady();
        } finally {
            gate.exit();
        }
    }

    /** Flushes; true when the stream is still ready. */
    private boolean flush() throws IOException {
        gate.enter();
        try {
            out.flush();
            return out.isReady();
        } finally {
            gate.exit();
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
