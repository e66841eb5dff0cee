package io.claudemirror.metrics;

import io.claudemirror.exchange.Exchange;
import io.claudemirror.exchange.ResponseObserver;
import java.nio.charset.StandardCharsets;

/**
 * Per-request metric state, and the observer that finds the time to first token of a stream: the moment the
 * first {@code content_block_delta} event (text, thinking or tool input) passes the proxy. The search runs over
 * the raw upstream chunks without copying or allocating (an event may be split across chunks, hence the
 * matcher state), and stops once the token is found, so a long stream costs nothing after its first delta.
 */
final class RequestWatch implements ResponseObserver {
    private static final byte[] DELTA = "content_block_delta".getBytes(StandardCharsets.US_ASCII);
    /** KMP failure table of {@link #DELTA}: "content_blo|c|k" repeats the leading 'c'. */
    private static final int[] FAIL = failureTable(DELTA);

    /** Set by the filter once it counted the request as an active stream; undone once, at completion. */
    boolean streamCounted;
    private volatile boolean sse;
    private volatile long firstTokenNanos;
    private int matched;

    @Override
    public void onHeaders(Exchange exchange, int status, String contentType) {
        sse = contentType != null && contentType.startsWith("text/event-stream");
    }

    @Override
    public void onContent(Exchange exchange, byte[] buffer, int offset, int length) {
        if (!sse || firstTokenNanos != 0) {
            return;
        }
        int m = matched;
        for (int i = offset, end = offset + length; i < end; i++) {
            byte b = buffer[i];
            while (m > 0 && DELTA[m] != b) {
                m = FAIL[m - 1];
            }
            if (DELTA[m] == b && ++m == DELTA.length) {
                firstTokenNanos = System.nanoTime();
                return;
            }
        }
        matched = m;
    }

    /** Whether the upstream answered with an event stream. */
    boolean sse() {
        return sse;
    }

    /** Nanoseconds from {@code startNanos} (the exchange's start) to its first token, or -1 if none was seen. */
    long timeToFirstTokenNanos(long startNanos) {
        long t = firstTokenNanos;
        return t == 0 ? -1 : t - startNanos;
    }

    static int[] failureTable(byte[] p) {
        int[] f = new int[p.length];
        for (int i = 1, k = 0; i < p.length; i++) {
            while (k > 0 && p[i] != p[k]) {
                k = f[k - 1];
            }
            if (p[i] == p[k]) {
                k++;
            }
            f[i] = k;
        }
        return f;
    }
}
