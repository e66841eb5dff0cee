package io.claudemirror.cache;

import io.claudemirror.exchange.Exchange;
import io.claudemirror.exchange.ResponseObserver;
import java.util.Arrays;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * Records the upstream's answer to a cacheable request as it passes the proxy, before any transformer ran (so
 * with PII placeholders, never restored values), feeds it to the request's {@link Flight}, and stores it when it
 * ended complete: a {@code 200} JSON body that arrived whole, or a {@code 200} stream whose last event is
 * {@code message_stop} with no {@code error} event, and the client still there. Anything else fails the flight,
 * so a waiting follower goes upstream itself, and nothing is stored.
 */
final class FlightRecorder implements ResponseObserver, Consumer<Exchange> {
    private final Flight flight;
    private final Flights registry;
    private final ResponseCache cache;
    private boolean active;
    private boolean sse;
    private String contentType;
    private boolean overflowed;
    private volatile boolean ended;

    /** {@code registry} is null for a flight nobody can join (a {@code no-cache} refresh). */
    FlightRecorder(Flight flight, Flights registry, ResponseCache cache) {
        this.flight = flight;
        this.registry = registry;
        this.cache = cache;
    }

    @Override
    public void onHeaders(Exchange exchange, int status, String contentType) {
        String ct = contentType == null ? "" : contentType.toLowerCase(Locale.ROOT);
        sse = ct.startsWith("text/event-stream");
        active = status == 200 && (sse || ct.startsWith("application/json"));
        this.contentType = contentType;
        if (active) {
            flight.receiving(contentType, sse);
        } else {
            end(null);
        }
    }

    @Override
    public void onContent(Exchange exchange, byte[] buffer, int offset, int length) {
        if (active && length > 0) {
            // The proxy's buffer is pooled: the flight keeps its own copy, shared by every follower.
            if (!flight.chunk(Arrays.copyOfRange(buffer, offset, offset + length))) {
                // Over the entry cap: not stored; live followers still get the rest through the flight.
                active = false;
                overflowed = true;
            }
        }
    }

    @Override
    public void onEnd(Exchange exchange, Throwable failure) {
        boolean complete = failure == null && !exchange.clientAborted();
        if (overflowed) {
            flight.endOverflowed(complete);
            end(null);
            return;
        }
        if (!active || !complete) {
            end(null);
            return;
        }
        byte[] body = flight.recorded();
        if (sse && !SseEvents.complete(body)) {
            end(null);
            return;
        }
        end(new CachedResponse(sse, contentType, System.currentTimeMillis(), body));
    }

    /** Completion of the leader's exchange: ends the flight if the response never reached this observer. */
    @Override
    public void accept(Exchange exchange) {
        end(null);
    }

    private synchronized void end(CachedResponse entry) {
        if (ended) {
            return;
        }
        ended = true;
        if (entry != null) {
            // Stored before the flight leaves the registry: a new request finds one or the other, never neither.
            cache.put(flight.key, entry);
            flight.succeed(entry);
        } else {
            flight.fail();
        }
        if (registry != null) {
            registry.remove(flight);
        }
    }
}
