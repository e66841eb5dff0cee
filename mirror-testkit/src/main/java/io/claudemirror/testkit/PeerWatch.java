package io.claudemirror.testkit;

import java.io.IOException;
import java.util.concurrent.CancellationException;
import org.eclipse.jetty.io.AbstractEndPoint;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.util.BufferUtil;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Notices a peer closing (FIN or RST) the connection of a response that is still being produced.
 *
 * <p>Jetty's HTTP/1.1 connection stops reading once the request body is consumed and resumes only after the response
 * completes, so a client that disconnects during a silent phase ({@code hang}, a stall, a blocked gate) goes unseen
 * until the next write. This watch registers its own read interest on the endpoint in that window: a read of -1 or a
 * read error means the peer is gone. The interest is withdrawn before the response completes, so Jetty can register
 * its own for the next request on the connection. Clients do not pipeline while a response is pending; should one
 * do it anyway, the watch stops (the consumed byte is lost, and logged).
 */
final class PeerWatch implements Callback {

    private static final Logger LOG = LoggerFactory.getLogger(PeerWatch.class);
    private static final CancellationException STOPPED = new CancellationException("peer watch stopped");

    private final EndPoint endPoint;
    private final Runnable onPeerGone;
    private volatile boolean stopped;

    private PeerWatch(EndPoint endPoint, Runnable onPeerGone) {
        this.endPoint = endPoint;
        this.onPeerGone = onPeerGone;
    }

    /** Starts watching; returns {@code null} when the endpoint cannot be watched (someone else is reading). */
    static PeerWatch start(EndPoint endPoint, Runnable onPeerGone) {
        PeerWatch watch = new PeerWatch(endPoint, onPeerGone);
        if (!(endPoint instanceof AbstractEndPoint) || !endPoint.tryFillInterested(watch)) {
            LOG.debug("cannot watch {} for peer close", endPoint);
            return null;
        }
        return watch;
    }

    /** Called by the selector when the socket is readable: with no request pending, that means EOF or reset. */
    @Override
    public void succeeded() {
        if (stopped) {
            return;
        }
        int read;
        try {
            read = endPoint.fill(BufferUtil.allocate(1)); // Jetty buffers start empty in flush mode
        } catch (IOException e) {
            read = -1; // connection reset by peer
        }
        if (stopped) {
            return;
        }
        if (read < 0) {
            stopped = true;
            onPeerGone.run();
        } else if (read == 0) {
            if (!endPoint.tryFillInterested(this)) {
                LOG.debug("lost read interest on {}", endPoint);
            }
        } else {
            stopped = true;
            LOG.warn("client sent data while a response was pending on {}; no longer watching for close", endPoint);
        }
    }

    @Override
    public void failed(Throwable x) {
        // Cancelled by stop(), closed by our side, or idle timeout: none of these is the peer leaving.
        LOG.debug("peer watch ended on {}: {}", endPoint, x.toString());
    }

    @Override
    public InvocationType getInvocationType() {
        return InvocationType.NON_BLOCKING; // runs on the selector thread: fill() and a flag flip never block
    }

    /** Withdraws the read interest so the connection can read the next request. */
    void stop() {
        if (stopped) {
            return;
        }
        stopped = true;
        if (endPoint.isFillInterested()) {
            ((AbstractEndPoint) endPoint).getFillInterest().onFail(STOPPED);
        }
    }
}
