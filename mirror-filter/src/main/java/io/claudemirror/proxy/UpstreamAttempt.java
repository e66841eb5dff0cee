package io.claudemirror.proxy;

import org.eclipse.jetty.client.Response;
import org.eclipse.jetty.client.Result;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.util.thread.Scheduler;

/**
 * Listener of one attempt against one upstream. It holds back the status until the headers are known, so a
 * retryable answer (529, 503…) can be discarded and the request sent elsewhere before the client sees a byte.
 */
final class UpstreamAttempt implements Response.Listener {
    /** The abort cause that marks an attempt discarded for a retry. */
    static final Throwable RETRY = new RetrySignal();

    private final ProxyExchange exchange;
    final int upstreamIndex;
    volatile boolean headersReceived;
    volatile boolean discarded;
    // Routing (issue 10): when it was sent (pool clock), whether its outcome was reported, whether it counts in flight.
    volatile long sentNanos;
    volatile boolean reported;
    volatile boolean begun;
    /** Set when the attempt had to queue for a pooled connection. */
    volatile ConnectionWait connectionWait;
    /** The {@code failover.firstByteTimeout} task, cancelled once the headers are in. */
    volatile Scheduler.Task firstByteTimer;

    UpstreamAttempt(ProxyExchange exchange, int upstreamIndex) {
        this.exchange = exchange;
        this.upstreamIndex = upstreamIndex;
    }

    /**
     * Upstream cookies never reach the client (HeaderPolicy drops them) and the client keeps none: dropping them
     * here also spares Jetty's {@code HttpClient} parsing every {@code Set-Cookie} for a store that discards it.
     */
    @Override
    public boolean onHeader(Response response, HttpField field) {
        HttpHeader h = field.getHeader();
        return h != HttpHeader.SET_COOKIE && h != HttpHeader.SET_COOKIE2;
    }

    @Override
    public void onHeaders(Response response) {
        headersReceived = true;
        cancelFirstByteTimer();
        if (exchange.shouldRetry(this, response)) {
            discarded = true;
            response.abort(RETRY);
            return;
        }
        exchange.onUpstreamHeaders(this, response);
    }

    @Override
    public void onContent(Response response, Content.Chunk chunk, Runnable demander) {
        if (discarded) {
            return;
        }
        exchange.onUpstreamContent(response, chunk, demander);
    }

    @Override
    public void onComplete(Result result) {
        cancelFirstByteTimer();
        exchange.onUpstreamComplete(this, result);
    }

    private void cancelFirstByteTimer() {
        Scheduler.Task task = firstByteTimer;
        if (task != null) {
            task.cancel();
        }
    }

    /** Marker, never thrown; no stack trace needed. */
    private static final class RetrySignal extends Exception {
        private static final long serialVersionUID = 1L;

        RetrySignal() {
            super("discarded for failover", null, false, false);
        }
    }
}
