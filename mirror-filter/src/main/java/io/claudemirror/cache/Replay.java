package io.claudemirror.cache;

import io.claudemirror.container.ResponseWriteGate;
import io.claudemirror.errors.ErrorResponses;
import io.claudemirror.exchange.Exchange;
import io.claudemirror.exchange.ResponseObserver;
import io.claudemirror.exchange.ResponseTransformer;
import io.claudemirror.sse.UsageObserver;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Answers a request from the cache or from a flight it follows, in the form it asked for, as the mirror would
 * have answered it from the upstream: status 200, a fresh {@code request-id} (this exchange's), the tenant's
 * current headers ({@link Exchange#contributeHeaders}), {@code x-mirror-cache: HIT} and {@code age}. The stored
 * bytes are in the upstream's form, so they pass this request's own transformer (the PII restore with this
 * request's vault) on the way out, and the exchange's observers (metrics, usage) see them like a proxied answer.
 */
final class Replay implements Flight.Subscriber {
    static final String SSE_TYPE = "text/event-stream; charset=utf-8";
    static final String JSON_TYPE = "application/json";

    private final Exchange exchange;
    private final List<ResponseObserver> observers;
    private final ResponseTransformer transformer;
    private final String contentType;
    private ReplayWriter writer;
    private List<byte[]> early = new ArrayList<>();
    private int endedAs; // 0 open, 1 complete, 2 broken

    private Replay(Exchange exchange, String contentType) {
        this.exchange = exchange;
        this.contentType = contentType;
        this.observers = new ArrayList<>(exchange.observers());
        this.observers.add(new UsageObserver());
        this.transformer = exchange.transformer();
        if (transformer != null && isStream()) {
            transformer.begin(200, contentType);
        }
    }

    private boolean isStream() {
        return contentType.regionMatches(true, 0, "text/event-stream", 0, 17);
    }

    /**
     * Serves a complete entry; false (and nothing written) when it cannot be converted into the asked form.
     */
    static boolean entry(Exchange exchange, HttpServletRequest request, HttpServletResponse response,
                         CachedResponse entry, boolean wantStream) throws IOException {
        byte[] body;
        String type;
        try {
            if (wantStream == entry.stream()) {
                body = entry.body();
                type = entry.contentType();
            } else if (wantStream) {
                body = MessageForms.synthesize(entry.body());
                type = SSE_TYPE;
            } else {
                body = MessageForms.assemble(entry.body());
                type = JSON_TYPE;
            }
        } catch (IllegalArgumentException e) {
            return false;
        }
        Replay replay = new Replay(exchange, type);
        long age = Math.max(0, (System.currentTimeMillis() - entry.storedAtMillis()) / 1000);
        if (!wantStream) {
            // A JSON answer is restored whole, so its length is known before the headers go out.
            byte[] out = replay.transformWhole(body);
            replay.start(request, response, age, out.length);
            replay.chunk(body, out);
            replay.end(true);
        } else {
            replay.start(request, response, age, -1);
            replay.chunk(body);
            replay.end(true);
        }
        return true;
    }

    /** A subscriber for a live stream; {@link #attach} starts the response once subscribed. */
    static Replay live(Exchange exchange, String contentType) {
        return new Replay(exchange, contentType);
    }

    void attach(HttpServletRequest request, HttpServletResponse response) throws IOException {
        start(request, response, 0, -1);
    }

    private byte[] transformWhole(byte[] body) {
        if (transformer == null) {
            return body;
        }
        transformer.begin(200, contentType);
        byte[] a = bytes(transformer.transform(body, 0, body.length));
        byte[] b = bytes(transformer.finish());
        if (b.length == 0) {
            return a;
        }
        byte[] all = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }

    private void start(HttpServletRequest request, HttpServletResponse response, long age, int length)
            throws IOException {
        exchange.status(200);
        exchange.cacheStatus("HIT");
        response.setStatus(200);
        response.setContentType(contentType);
        response.setHeader("request-id", exchange.requestId());
        response.setHeader(CacheFilter.HEADER, "HIT");
        response.setHeader("age", Long.toString(age));
        if (length >= 0) {
            response.setContentLength(length);
        } else {
            response.setHeader("cache-control", "no-cache");
            response.setHeader("X-Accel-Buffering", "no");
        }
        exchange.contributeHeaders(response);
        synchronized (this) {
            for (ResponseObserver o : observers) {
                o.onHeaders(exchange, 200, contentType);
            }
        }
        AsyncContext async = request.startAsync();
        async.setTimeout(0);
        ResponseWriteGate gate = new ResponseWriteGate();
        // First: the response does not end while a flight's thread is still writing to it.
        async.addListener(gate);
        ReplayWriter w = new ReplayWriter(async, response.getOutputStream(), gate, this::done);
        async.addListener(new AsyncListener() {
            @Override
            public void onComplete(AsyncEvent event) {
            }

            @Override
            public void onTimeout(AsyncEvent event) {
            }

            @Override
            public void onError(AsyncEvent event) {
                w.abandon();
            }

            @Override
            public void onStartAsync(AsyncEvent event) {
            }
        });
        synchronized (this) {
            writer = w;
            for (byte[] b : early) {
                w.offer(b);
            }
            early = null;
            if (endedAs != 0) {
                w.end();
            }
        }
        w.start();
    }

    @Override
    public void chunk(byte[] bytes) {
        chunk(bytes, transformer == null ? bytes : bytes(transformer.transform(bytes, 0, bytes.length)));
    }

    private synchronized void chunk(byte[] upstreamForm, byte[] clientForm) {
        for (ResponseObserver o : observers) {
            o.onContent(exchange, upstreamForm, 0, upstreamForm.length);
        }
        exchange.markFirstByte();
        offer(clientForm);
    }

    @Override
    public synchronized void end(boolean complete) {
        if (endedAs != 0) {
            return;
        }
        if (complete) {
            if (transformer != null && isStream()) {
                offer(bytes(transformer.finish()));
            }
        } else {
            // The stream this request followed broke off: end it as the proxy ends a broken stream.
            exchange.errorType(ErrorResponses.OVERLOADED);
            offer(ErrorResponses.sseError(ErrorResponses.OVERLOADED, "The upstream stream was interrupted.",
                    exchange.requestId()));
        }
        endedAs = complete ? 1 : 2;
        if (writer != null) {
            writer.end();
        }
    }

    private void offer(byte[] b) {
        if (writer != null) {
            writer.offer(b);
        } else if (early != null) {
            early.add(b);
        }
    }

    private void done(boolean clientGone) {
        if (clientGone) {
            exchange.clientAborted(true);
        }
        synchronized (this) {
            for (ResponseObserver o : observers) {
                try {
                    o.onEnd(exchange, clientGone ? new IOException("client went away") : null);
                } catch (RuntimeException e) {
                    // An observer's failure must not keep the response from ending.
                }
            }
        }
    }

    private static byte[] bytes(ByteBuffer b) {
        if (b.hasArray() && b.arrayOffset() == 0 && b.position() == 0 && b.remaining() == b.array().length) {
            return b.array();
        }
        byte[] a = new byte[b.remaining()];
        b.get(a);
        return a;
    }
}
