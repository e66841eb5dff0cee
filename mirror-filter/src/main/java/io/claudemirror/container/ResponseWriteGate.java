package io.claudemirror.container;

import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import java.io.IOException;
import java.util.concurrent.TimeUnit;

/**
 * Keeps the container from ending an asynchronous response while a thread it does not own (an upstream
 * client's thread) is still inside a call on the response's output stream, and keeps such a thread from
 * touching the stream once the response ended. Register it on the {@code AsyncContext} and put every
 * {@code write}, {@code flush} and {@code isReady} between {@link #enter} and {@link #exit}.
 *
 * <p>Why: containers recycle the request and response objects and hand them to the next request, Tomcat
 * across connections (its processor is released between keep-alive requests and taken by whichever
 * connection reads next). When a write on a foreign thread fails, Tomcat first dispatches the error to one
 * of its own threads and only then records the failure on the response ({@code AbstractProcessor}'s
 * {@code CLIENT_FLUSH}: {@code handleIOException}, then {@code response.setErrorException}). If that thread
 * runs the error listeners, completes and recycles the response in between, the failure is recorded on the
 * recycled response, and the next request served with it fails at its first flush with the old
 * connection's "Broken pipe": Tomcat closes that healthy connection after its first chunk. Waiting here,
 * in {@code onError} (before the container ends and recycles anything), closes that window.
 */
public final class ResponseWriteGate implements AsyncListener {
    /**
     * How long the container's thread waits for a write in progress. A non-blocking write returns at once;
     * the bound only keeps a container thread from hanging on a write that never returns.
     */
    static final long MAX_WAIT_MILLIS = 2_000;

    private Thread writer;
    private boolean closed;

    /**
     * Before a call on the output stream. Throws when the response has ended: the stream may already belong
     * to another request.
     */
    public synchronized void enter() throws IOException {
        if (closed) {
            throw new IOException("the response has ended");
        }
        writer = Thread.currentThread();
    }

    /** After the call, whether it returned or threw. */
    public synchronized void exit() {
        writer = null;
        notifyAll();
    }

    /** True once the response ended or failed; a call that does not go through {@link #enter} checks this first. */
    public synchronized boolean closed() {
        return closed;
    }

    /**
     * The response is ending: later calls are refused, and a call in progress on another thread is waited
     * for (at most {@value #MAX_WAIT_MILLIS} ms), so whatever it records lands on this response.
     */
    public synchronized void close() {
        closed = true;
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(MAX_WAIT_MILLIS);
        boolean interrupted = false;
        while (writer != null && writer != Thread.currentThread()) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                break;
            }
            try {
                wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Refuses later calls without waiting: a response completes after its last write returned, or after
     * {@link #onError} already waited. Tomcat calls this holding its async state machine's lock, which a write
     * failing on another thread needs to report its error, so waiting here could only stall.
     */
    @Override
    public synchronized void onComplete(AsyncEvent event) {
        closed = true;
    }

    @Override
    public void onError(AsyncEvent event) {
        close();
    }

    @Override
    public void onTimeout(AsyncEvent event) {
    }

    @Override
    public void onStartAsync(AsyncEvent event) {
    }
}
