package io.claudemirror.proxy;

import io.claudemirror.container.ResponseWriteGate;
import io.claudemirror.errors.ErrorResponses;
import io.claudemirror.exchange.Endpoint;
import io.claudemirror.exchange.Exchange;
import io.claudemirror.exchange.ResponseObserver;
import io.claudemirror.exchange.ResponseTransformer;
import io.claudemirror.routing.FirstByteTimeoutException;
import io.claudemirror.routing.QuotaHeaders;
import io.claudemirror.routing.StickyKey;
import io.claudemirror.routing.UpstreamOutcome;
import io.claudemirror.routing.UpstreamPool;
import io.claudemirror.routing.UpstreamState;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.client.Response;
import org.eclipse.jetty.client.Result;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client request on its way through the proxy: the attempts against upstreams, the hand-off of each
 * upstream chunk to the client writer, and every way the exchange can end. Invariants:
 * <ul>
 * <li>failover happens only before the client has received anything;</li>
 * <li>the next upstream chunk is demanded only after the previous one was flushed to the client;</li>
 * <li>a failure after the first byte ends an SSE stream with {@code event: error}, never a clean end;</li>
 * <li>the async context is completed exactly once.</li>
 * </ul>
 */
final class ProxyExchange implements ClientWriter.Sink, ClientDisconnects.Listener {
    private static final Logger LOG = LoggerFactory.getLogger(ProxyExchange.class);

    private final MirrorProxyServlet servlet;
    final Exchange exchange;
    private final HttpServletRequest request;
    private final HttpServletResponse response;
    private final AsyncContext async;
    /** Where clients reach the mirror, for the batch {@code results_url} rewrite; null when not rewritten. */
    private final String mirrorBase;
    private final UpstreamPool pool;
    private final AtomicBoolean finished = new AtomicBoolean();
    /** Registered on the async context before any other listener of the proxy (see ResponseWriteGate). */
    final ResponseWriteGate gate = new ResponseWriteGate();

    private long triedMask;
    private volatile Request currentRequest;
    private volatile boolean clientGone;
    private volatile boolean closeConnection;
    private volatile org.eclipse.jetty.util.thread.Scheduler.Task pacedTask;
    private volatile UpstreamState pacedState;
    private volatile long pacedSlot;
    private volatile ClientDisconnects.Watch watch = ClientDisconnects.Watch.NONE;
    private volatile boolean replaced;
    private boolean sse;
    private boolean dropContentLength;
    private ClientWriter writer;
    private ResponseTransformer transformer;
    private List<ResponseObserver> observers = List.of();
    private Content.Chunk pendingChunk;
    private Runnable pendingDemander;
    private byte[] pendingFinal;
    private boolean finalInFlight;
    private boolean endRequested;
    private byte[] scratch;
    // --- routing (issue 10) ---
    private String stickyKey;
    private boolean stickyKeyRead;

    ProxyExchange(MirrorProxyServlet servlet, Exchange exchange, HttpServletRequest request,
                  HttpServletResponse response, AsyncContext async, String mirrorBase) {
        this.servlet = servlet;
        this.exchange = exchange;
        this.request = request;
        this.response = response;
        this.async = async;
        this.mirrorBase = mirrorBase;
        this.pool = servlet.runtime().upstreams();
    }

    /** Sends to the next upstream not tried yet, or ends with the last failure. */
    void send(Throwable lastFailure) {
        if (clientGone) {
            // Nobody to answer: an error written now would land in a response the container may have recycled.
            finish();
            return;
        }
        // Routing (issue 10): the conversation's sticky upstream or the balanced choice; none past the deadline.
        int index = clientGone || (triedMask != 0 && pastRetryDeadline()) ? -1
                : pool.choose(stickyKey(), triedMask).index();
        if (index < 0 || clientGone) {
            fail(lastFailure == null ? new IOException("no upstream available") : lastFailure);
            return;
        }
        triedMask |= 1L << index;
        UpstreamState state = pool.get(index);
        long now = pool.nanoTime();
        long slot = state.reserveSlot(now, pool.routing().maxPacingWait().toNanos());
        if (slot == UpstreamState.REFUSED) {
            // Pacing queue beyond routing.maxPacingWait: another upstream, else 529 (bounded, never minutes).
            LOG.debug("{} upstream {} paced beyond routing.maxPacingWait", exchange.requestId(), state.upstream().name());
            if (!clientGone && pool.anyLeft(triedMask)) {
                send(lastFailure);
            } else {
                fail(new IOException("every upstream's pacing queue is full"));
            }
            return;
        }
        exchange.attempt();
        exchange.upstream(state.upstream().name());
        UpstreamAttempt attempt = new UpstreamAttempt(this, index);
        Request proxyRequest = servlet.newUpstreamRequest(request, exchange, state.upstream());
        currentRequest = proxyRequest;
        long wait = slot == UpstreamState.NO_PACING ? 0 : slot - now;
        if (wait > 0) {
            // Pacing: keep at least minInterval between two requests to this upstream, without blocking a thread.
            pacedState = state;
            pacedSlot = slot;
            pacedTask = servlet.scheduler().schedule(() -> dispatch(proxyRequest, attempt), wait, TimeUnit.NANOSECONDS);
        } else {
            dispatch(proxyRequest, attempt);
        }
    }

    /** A client that left while its request waited for its pacing slot: the slot goes to whoever is next. */
    private void returnPacingSlot() {
        org.eclipse.jetty.util.thread.Scheduler.Task task = pacedTask;
        if (task != null && task.cancel()) {
            pacedState.returnSendSlot(pacedSlot);
        }
    }

    private void dispatch(Request proxyRequest, UpstreamAttempt attempt) {
        if (clientGone) {
            return; // left while paced: nothing is sent on its behalf
        }
        attempt.sentNanos = pool.nanoTime();
        attempt.begun = true;
        pool.begin(attempt.upstreamIndex);
        if (pool.get(attempt.upstreamIndex).inFlight() > servlet.capacity().requests(attempt.upstreamIndex)) {
            // Every pooled connection (every stream of each, on HTTP/2) is busy: this request queues in the client.
            // Counted, and bounded.
            attempt.connectionWait = ConnectionWait.arm(servlet.connectionWaitMetrics(), proxyRequest,
                    servlet.runtime().config().proxy().connectionWaitTimeout().toMillis(), servlet.scheduler());
        }
        long firstByte = firstByteTimeoutMillis();
        if (firstByte > 0) {
            // A hung upstream is abandoned in time to try the next one; the headers arriving first disarm it.
            attempt.firstByteTimer = servlet.scheduler().schedule(() -> {
                if (!attempt.headersReceived) {
                    proxyRequest.abort(new FirstByteTimeoutException(firstByte));
                }
            }, firstByte, TimeUnit.MILLISECONDS);
        }
        proxyRequest.send(attempt);
        if (clientGone) {
            proxyRequest.abort(new IOException("client went away"));
        }
    }

    /**
     * {@code failover.firstByteTimeout}, except for a non-streamed {@code POST /v1/messages}: its headers come
     * only after the whole answer was generated, which may rightly take minutes.
     */
    private long firstByteTimeoutMillis() {
        long ms = servlet.runtime().config().failover().firstByteTimeout().toMillis();
        if (ms <= 0 || exchange.api().endpoint() == Endpoint.MESSAGES && !exchange.facts().stream()) {
            return 0;
        }
        return ms;
    }

    private String stickyKey() {
        if (!stickyKeyRead) {
            stickyKeyRead = true;
            // One upstream: every conversation sticks to it anyway; the body is not parsed and hashed for nothing.
            if (pool.routing().sticky() && pool.states().size() > 1) {
                stickyKey = StickyKey.extract(request.getHeader(StickyKey.SESSION_HEADER), exchange.body(),
                        exchange.bodyLength());
            }
        }
        return stickyKey;
    }

    private boolean pastRetryDeadline() {
        long deadline = servlet.runtime().config().failover().deadline().toNanos();
        return deadline > 0 && System.nanoTime() - exchange.startNanos() > deadline;
    }

    private boolean canRetry() {
        return !clientGone && writer == null && exchange.attempts() < servlet.runtime().config().failover().maxAttempts()
                && pool.anyLeft(triedMask) && !pastRetryDeadline();
    }

    /** Retryable outcomes (UpstreamOutcome) are discarded when another upstream can still answer. */
    boolean shouldRetryStatus(UpstreamAttempt attempt, int status) {
        return report(attempt, status, null).retryable() && canRetry();
    }

    /** As {@link #shouldRetryStatus}, with the response's headers for the upstream's quota. */
    boolean shouldRetry(UpstreamAttempt attempt, Response upstream) {
        return report(attempt, upstream.getStatus(), upstream.getHeaders()).retryable() && canRetry();
    }

    /** Tells the pool how the attempt went, once per attempt, from the one classification. */
    private UpstreamOutcome report(UpstreamAttempt attempt, int status, HttpFields headers) {
        UpstreamOutcome outcome = UpstreamOutcome.classify(status);
        if (attempt.reported) {
            return outcome;
        }
        attempt.reported = true;
        int index = attempt.upstreamIndex;
        if (outcome == UpstreamOutcome.SUCCESS) {
            pool.onSuccess(index, pool.nanoTime() - attempt.sentNanos);
        } else {
            pool.onFailure(index, outcome, outcome.reason(status));
        }
        // Only the mirror's own key has a quota the mirror can route around; in passthrough it is the client's.
        if (servlet.tenantsMode()) {
            long until = headers == null ? 0
                    : QuotaHeaders.pauseUntil(headers::get, status, pool.nanoTime(), pool.wall().instant());
            if (until != 0 || outcome == UpstreamOutcome.QUOTA) {
                pool.onQuota(index, until);
            }
        }
        return outcome;
    }

    void onUpstreamHeaders(UpstreamAttempt attempt, Response upstream) {
        int status = upstream.getStatus();
        org.eclipse.jetty.client.Connection connection = upstream.getRequest().getConnection();
        if (connection != null) {
            servlet.capacity().observe(attempt.upstreamIndex, connection);
        }
        // Health was reported once in shouldRetry (UpstreamAttempt.onHeaders); a second report would count twice.
        report(attempt, status, upstream.getHeaders());
        if (clientGone || finished.get()) {
            // The exchange ended first (client gone, a timeout answered): its response is not this thread's to touch.
            replaced = true;
            return;
        }
        if (servlet.tenantsMode() && (status == 401 || status == 403)) {
            // The upstream refused the mirror's own credential: the client must not read the upstream's text.
            replaced = true;
            LOG.warn("{} upstream {} answered {} to the mirror's credential; check upstreams[].apiKey",
                    exchange.requestId(), exchange.upstream(), status);
            return;
        }
        String contentType = upstream.getHeaders().get(HttpHeader.CONTENT_TYPE);
        sse = contentType != null && contentType.startsWith("text/event-stream");
        exchange.upstreamRequestId(upstream.getHeaders().get("request-id"));
        servlet.addTransformers(exchange, mirrorBase, status, contentType);
        transformer = exchange.transformer();
        if (transformer != null) {
            dropContentLength = true;
            transformer.begin(status, contentType);
        }
        watch.cancel(); // the answer starts: writes notice a departure from here on
        response.setStatus(status);
        servlet.copyResponseHeaders(response, upstream, dropContentLength);
        if (closeConnection) {
            response.setHeader("Connection", "close");
        }
        if (sse) {
            // Tell an nginx in front of the host not to buffer the stream.
            response.setHeader("X-Accel-Buffering", "no");
        }
        exchange.contributeHeaders(response);
        observers = exchange.observers();
        for (int i = 0; i < observers.size(); i++) {
            observers.get(i).onHeaders(exchange, status, contentType);
        }
    }

    void onUpstreamContent(Response upstream, Content.Chunk chunk, Runnable demander) {
        ByteBuffer bb = chunk.getByteBuffer();
        int len = bb.remaining();
        // The chunk belongs to Jetty, which releases it when this method returns: retain it while it is written.
        if (replaced || clientGone || len == 0) {
            demander.run();
            return;
        }
        byte[] arr;
        int off;
        if (bb.hasArray()) {
            arr = bb.array();
            off = bb.arrayOffset() + bb.position();
        } else {
            if (scratch == null || scratch.length < len) {
                // Only for direct buffers (not used by the mirror's own client): size to what is needed.
                scratch = new byte[len];
            }
            bb.get(bb.position(), scratch, 0, len);
            arr = scratch;
            off = 0;
        }
        for (int i = 0; i < observers.size(); i++) {
            observers.get(i).onContent(exchange, arr, off, len);
        }
        if (transformer != null) {
            ByteBuffer out = transformer.transform(arr, off, len);
            if (!out.hasRemaining()) {
                demander.run();
                return;
            }
            if (out.hasArray()) {
                arr = out.array();
                off = out.arrayOffset() + out.position();
                len = out.remaining();
            } else {
                arr = new byte[out.remaining()];
                out.get(arr);
                off = 0;
                len = arr.length;
            }
        }
        if (arr != scratch && bb.hasArray() && arr == bb.array()) {
            if (chunk.canRetain()) {
                chunk.retain();
            } else {
                arr = java.util.Arrays.copyOfRange(arr, off, off + len);
                off = 0;
                chunk = Content.Chunk.EMPTY;
            }
        } else {
            chunk = Content.Chunk.EMPTY;
        }
        pendingChunk = chunk;
        pendingDemander = demander;
        exchange.markFirstByte();
        writer().write(arr, off, len);
    }

    private ClientWriter writer() {
        if (writer == null) {
            try {
                writer = new ClientWriter(response.getOutputStream(), gate, this);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }
        return writer;
    }

    @Override
    public void written() {
        Content.Chunk chunk;
        Runnable demander;
        byte[] next = null;
        boolean end = false;
        synchronized (this) {
            chunk = pendingChunk;
            demander = pendingDemander;
            pendingChunk = null;
            pendingDemander = null;
            if (chunk == null) {
                // The final bytes (transformer tail or SSE error event) are out.
                finalInFlight = false;
                end = true;
            } else if (endRequested) {
                next = pendingFinal;
                pendingFinal = null;
                finalInFlight = next != null;
                end = next == null;
            }
        }
        if (chunk != null) {
            chunk.release();
            demander.run();
        }
        if (next != null) {
            writer.write(next, 0, next.length);
        } else if (end) {
            finish();
        }
    }

    @Override
    public void writeFailed(Throwable failure) {
        clientGone();
        Content.Chunk chunk;
        synchronized (this) {
            chunk = pendingChunk;
            pendingChunk = null;
            pendingDemander = null;
        }
        if (chunk != null) {
            chunk.release();
        }
    }

    void watch(ClientDisconnects.Watch w) {
        watch = w;
        if (finished.get() || response.isCommitted()) {
            w.cancel();
        }
    }

    @Override
    public void closeAfterResponse() {
        closeConnection = true;
    }

    /** The client disconnected: abort the upstream request and end. */
    @Override
    public void clientGone() {
        if (clientGone) {
            return;
        }
        clientGone = true;
        exchange.clientAborted(true);
        returnPacingSlot();
        if (writer == null) {
            // Nothing was answered: recorded as nginx does for a client that closed first.
            exchange.status(499);
        }
        Request r = currentRequest;
        if (r != null) {
            r.abort(new IOException("client disconnected"));
        }
        finish();
    }

    void onUpstreamComplete(UpstreamAttempt attempt, Result result) {
        Throwable failure = result.isFailed() ? result.getFailure() : null;
        if (attempt.connectionWait != null) {
            attempt.connectionWait.end();
        }
        if (attempt.begun) {
            attempt.begun = false;
            pool.end(attempt.upstreamIndex);
        }
        if (attempt.discarded) {
            send(failure);
            return;
        }
        if (attempt.headersReceived && !replaced) {
            for (int i = 0; i < observers.size(); i++) {
                try {
                    observers.get(i).onEnd(exchange, failure);
                } catch (RuntimeException e) {
                    LOG.warn("{} response observer failed", exchange.requestId(), e);
                }
            }
        }
        if (clientGone || finished.get()) {
            finish();
            return;
        }
        if (failure != null) {
            if (!attempt.headersReceived && failure instanceof ConnectionWaitTimeoutException) {
                // The upstream never saw the request: not its failure. Another upstream may have a free connection.
                if (canRetry()) {
                    send(failure);
                    return;
                }
            } else if (!attempt.headersReceived) {
                UpstreamOutcome outcome = UpstreamOutcome.classify(failure);
                pool.onFailure(attempt.upstreamIndex, outcome, outcome.reason(0));
                if (outcome.retryable() && canRetry()) {
                    send(failure);
                    return;
                }
            }
            fail(failure);
            return;
        }
        if (replaced) {
            writeError(502, ErrorResponses.API_ERROR, "The mirror could not authenticate to its upstream. "
                    + "This is a configuration problem of the mirror, not of your key; contact its operator.", 0);
            return;
        }
        ByteBuffer tail = transformer == null ? null : transformer.finish();
        byte[] bytes = null;
        if (tail != null && tail.hasRemaining()) {
            bytes = new byte[tail.remaining()];
            tail.get(bytes);
        }
        endAfterWrites(bytes);
    }

    private void fail(Throwable failure) {
        boolean timeout = isTimeout(failure);
        if (LOG.isDebugEnabled()) {
            LOG.debug("{} upstream failure: {}", exchange.requestId(), failure.toString());
        }
        if (writer == null && !response.isCommitted()) {
            response.reset();
            if (timeout) {
                writeError(504, ErrorResponses.TIMEOUT, "The upstream did not answer in time.", 1);
            } else if (failure instanceof ConnectionWaitTimeoutException) {
                writeError(529, ErrorResponses.OVERLOADED, "Every connection to the upstream is busy; retry shortly.", 1);
            } else {
                writeError(529, ErrorResponses.OVERLOADED, "No upstream could answer the request.", 1);
            }
            return;
        }
        exchange.errorType(timeout ? ErrorResponses.TIMEOUT : ErrorResponses.OVERLOADED);
        if (sse) {
            endAfterWrites(ErrorResponses.sseError(timeout ? ErrorResponses.TIMEOUT : ErrorResponses.OVERLOADED,
                    timeout ? "The upstream stream timed out." : "The upstream connection was lost mid-stream.",
                    exchange.clientRequestId()));
        } else {
            // A JSON body cut short keeps its Content-Length, so the client sees the truncation.
            endAfterWrites(null);
        }
    }

    /**
     * Ends the response once every write in flight has left: first {@code bytes} if not null (a transformer's
     * tail, an SSE error event), then the async completion.
     */
    private void endAfterWrites(byte[] bytes) {
        boolean writeNow;
        boolean endNow;
        synchronized (this) {
            boolean busy = pendingChunk != null || finalInFlight;
            if (busy) {
                endRequested = true;
                pendingFinal = bytes;
                return;
            }
            writeNow = bytes != null;
            endNow = bytes == null;
            finalInFlight = writeNow;
        }
        if (writeNow) {
            exchange.markFirstByte();
            writer().write(bytes, 0, bytes.length);
        } else if (endNow) {
            finish();
        }
    }

    private void writeError(int status, String type, String message, long retryAfter) {
        if (finished.get()) {
            return; // answered already (or the client left): never write into an ended response
        }
        watch.cancel();
        try {
            ErrorResponses.write(response, exchange, status, type, message, retryAfter);
        } catch (IOException | RuntimeException e) {
            LOG.debug("{} could not write the error response", exchange.requestId(), e);
        }
        finish();
    }

    void finish() {
        if (finished.compareAndSet(false, true)) {
            // Before the container reads the connection again for the next request.
            watch.cancel();
            if (closeConnection && !response.isCommitted()) {
                response.setHeader("Connection", "close");
            }
            try {
                async.complete();
            } catch (RuntimeException e) {
                LOG.debug("{} async complete failed", exchange.requestId(), e);
            }
        }
    }

    static boolean isTimeout(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof TimeoutException) {
                return true;
            }
        }
        return false;
    }
}
