package io.claudemirror.testkit;

import java.io.IOException;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.io.EofException;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Blocker;
import org.eclipse.jetty.util.Callback;

/**
 * One request/response in progress: writes the answer, notices when the peer goes away, and completes the Jetty
 * callback exactly once.
 *
 * <p>Long-lived answers (SSE, {@code hang}, {@code delay}, {@code stall}) call {@link #watchPeer()}: Jetty's HTTP/1.1
 * connection does not read from the socket while a request is being handled, so without it a client that leaves a
 * silent response would only be noticed at the next write. {@link PeerWatch} fills that gap; on HTTP/2 the stream's
 * reset is reported by Jetty itself.
 */
final class Exchange {

    final FakeAnthropic fake;
    final Request request;
    final Response response;
    final String requestId = Wire.requestId();
    private final Callback callback;
    private final EndPoint endPoint;
    private final AtomicBoolean finished = new AtomicBoolean();
    private final AtomicBoolean abortCounted = new AtomicBoolean();
    private final CountDownLatch ended = new CountDownLatch(1);
    private volatile boolean peerGone;
    private volatile boolean hanging;
    private boolean watching; // only touched by the handler thread
    private volatile PeerWatch watch;
    // Guarded by this: the thread blocked in an EventGate, to interrupt it when the exchange ends.
    private Thread gateThread;
    private boolean gateInterrupted;

    Exchange(FakeAnthropic fake, Request request, Response response, Callback callback) {
        this.fake = fake;
        this.request = request;
        this.response = response;
        this.callback = callback;
        this.endPoint = request.getConnectionMetaData().getConnection().getEndPoint();
        Wire.addStandardHeaders(response.getHeaders(), requestId, fake.organizationHeader);
        fake.started();
    }

    // ---------------------------------------------------------------- complete answers (non-blocking)

    void sendJson(int status, Object json) {
        send(status, Wire.JSON_TYPE, Wire.bytes(json));
    }

    void sendError(int status, String errorType, String message) {
        send(status, Wire.JSON_TYPE, Wire.errorEnvelope(errorType, message, requestId));
    }

    /** Sends a whole response in one write; Jetty adds the content-length. */
    void send(int status, String contentType, byte[] body) {
        response.setStatus(status);
        if (contentType != null) {
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, contentType);
        }
        stopWatching(); // before the last byte leaves: the client may send its next request right after it
        response.write(true, ByteBuffer.wrap(body), Callback.from(this::succeed, this::writeFailed));
    }

    void addHeaders(Map<String, String> headers) {
        headers.forEach((name, value) -> response.getHeaders().put(name, value));
    }

    // ---------------------------------------------------------------- streaming (blocking, on the handler thread)

    /** Blocking write of one chunk; a failure means the peer is gone and counts as a client abort. */
    void write(byte[] bytes, boolean last) throws IOException {
        if (last) {
            stopWatching(); // see send()
        }
        try (Blocker.Callback blocker = Blocker.callback()) {
            response.write(last, ByteBuffer.wrap(bytes), blocker);
            blocker.block();
        } catch (IOException | RuntimeException e) {
            peerGone();
            throw e instanceof IOException ? (IOException) e : new IOException(e);
        }
    }

    /**
     * Sleeps up to {@code d}, returning early when the exchange ended.
     *
     * @return {@code true} when the full time passed, {@code false} when the peer left or the fake is closing
     */
    boolean pause(Duration d) {
        try {
            return !ended.await(d.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * Runs a test's gate. Returns {@code false} when the exchange ended (the gate is then interrupted if it
     * blocks); a gate's own exception propagates.
     */
    boolean gate(EventGate gate, int index) {
        synchronized (this) {
            if (isEnded()) {
                return false;
            }
            gateThread = Thread.currentThread();
        }
        boolean interrupted = false;
        try {
            gate.beforeEvent(index);
        } catch (InterruptedException e) {
            interrupted = true;
        } finally {
            synchronized (this) {
                gateThread = null;
                if (gateInterrupted) {
                    Thread.interrupted(); // our own interrupt: clear it so the pooled thread stays clean
                    gateInterrupted = false;
                } else if (interrupted) {
                    Thread.currentThread().interrupt(); // someone else's: keep it visible
                }
            }
        }
        return !interrupted && !isEnded();
    }

    boolean isEnded() {
        return ended.getCount() == 0;
    }

    // ---------------------------------------------------------------- long-lived answers

    /** Starts watching the socket for the peer closing it; also makes {@link FakeAnthropic#close()} reach us. */
    void watchPeer() {
        if (watching) {
            return; // e.g. a delay fault followed by a stream
        }
        watching = true;
        fake.track(this);
        if (request.getConnectionMetaData().getHttpVersion() == HttpVersion.HTTP_2) {
            // The HTTP/2 connection reads all the time (other streams share it): a stream the client reset fails the
            // request, which Jetty reports here.
            request.addFailureListener(failure -> peerGone());
        } else {
            watch = PeerWatch.start(endPoint, this::peerGone);
        }
    }

    /** Never answers; the callback completes only when the peer leaves or the fake closes. */
    void hang() {
        hanging = true;
        watchPeer();
        if (isEnded()) {
            endHanging();
        }
    }

    private void endHanging() {
        if (peerGone) {
            fail(new EofException("client went away"));
        } else {
            reset();
        }
    }

    /** The peer closed the connection (or a write to it failed): count one client abort, wake the writer. */
    void peerGone() {
        if (!fake.isClosing() && abortCounted.compareAndSet(false, true)) {
            peerGone = true;
            fake.onClientAbort();
        }
        end();
    }

    /** Ends the exchange (peer gone or fake closing): wakes pauses and interrupts a blocked gate. */
    void end() {
        synchronized (this) {
            if (isEnded()) {
                return;
            }
            ended.countDown();
            if (gateThread != null) {
                gateInterrupted = true;
                gateThread.interrupt();
            }
        }
        if (hanging) {
            endHanging();
        }
    }

    /** Abortive close (TCP RST), so the client sees a connection failure rather than a clean end. */
    void reset() {
        try {
            if (endPoint.getTransport() instanceof SocketChannel) {
                ((SocketChannel) endPoint.getTransport()).setOption(StandardSocketOptions.SO_LINGER, 0);
            }
        } catch (IOException | RuntimeException ignored) {
            // already closed: nothing to reset
        }
        endPoint.close();
        fail(new EofException("connection reset by the fake"));
    }

    /** Gives up on a response: the peer already left (just clean up), or the fake is closing (cut with RST). */
    void abandon() {
        if (peerGone) {
            fail(new EofException("client went away"));
        } else {
            reset();
        }
    }

    // ---------------------------------------------------------------- completion

    boolean isFinished() {
        return finished.get();
    }

    void succeed() {
        if (finished.compareAndSet(false, true)) {
            release();
            callback.succeeded();
        }
    }

    void fail(Throwable failure) {
        if (finished.compareAndSet(false, true)) {
            release();
            callback.failed(failure);
        }
    }

    private void writeFailed(Throwable failure) {
        peerGone();
        fail(failure);
    }

    /** Bookkeeping once the callback completes: active count, close tracking, the socket watch. */
    private void release() {
        fake.finished(this);
        stopWatching();
    }

    /**
     * Withdraws the socket watch. Must happen before the response's last byte is written: once the client has the
     * whole response it may send its next request at once, and the watch would swallow the first byte of it.
     */
    private void stopWatching() {
        PeerWatch w = watch;
        if (w != null) {
            w.stop();
        }
    }
}
