package io.claudemirror.testkit;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import org.eclipse.jetty.http.HttpHeader;

/**
 * Writes a streaming reply event by event (§5, §10): each event is its own chunk, flushed before the next one is
 * considered, with the configured delay, gate and stream fault applied in this order before event {@code i}:
 * {@code eventDelay} (not before the first), a {@link Fault#stall stall} due at {@code i}, the {@link EventGate},
 * then a mid-stream error / drop due at {@code i}, else the event itself.
 */
final class SseStreamer {

    private final Exchange exchange;
    private final List<byte[]> events;
    private final Fault fault;
    private final int faultAt;
    private final Duration eventDelay;
    private final Duration pingInterval;
    private final EventGate gate;

    private SseStreamer(Exchange exchange, Reply reply, Fault fault) {
        FakeAnthropic fake = exchange.fake;
        this.exchange = exchange;
        this.events = reply.sseEvents(fake.textChunkSize());
        this.fault = fault;
        // A fault asked for after more events than the stream has acts after the last one.
        this.faultAt = fault == null ? -1 : Math.min(fault.afterEvents, events.size());
        this.eventDelay = fake.eventDelay();
        this.pingInterval = fake.pingInterval();
        this.gate = fake.gate();
    }

    /** Streams {@code reply}; {@code fault} is a stream fault or {@code null}. Blocks until the stream ends. */
    static void stream(Exchange exchange, Reply reply, Fault fault) {
        new SseStreamer(exchange, reply, fault).run();
    }

    private void run() {
        exchange.response.setStatus(200);
        exchange.response.getHeaders().put(HttpHeader.CONTENT_TYPE, Wire.SSE_TYPE);
        exchange.response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-cache");
        exchange.watchPeer();
        try {
            for (int i = 0; i < events.size() || i == faultAt; i++) {
                boolean faultHere = i == faultAt;
                if (i > 0 && !eventDelay.isZero() && !exchange.pause(eventDelay)) {
                    exchange.abandon();
                    return;
                }
                if (faultHere && fault.kind == Fault.Kind.STALL && !stall(fault.duration)) {
                    exchange.abandon();
                    return;
                }
                if (gate != null && !exchange.gate(gate, i)) {
                    exchange.abandon();
                    return;
                }
                if (faultHere && fault.kind == Fault.Kind.DROP_MID_STREAM) {
                    exchange.reset();
                    return;
                }
                if (faultHere && fault.kind == Fault.Kind.MID_STREAM_ERROR) {
                    exchange.write(errorEvent(), true);
                    exchange.succeed();
                    return;
                }
                if (i < events.size()) {
                    exchange.write(events.get(i), false);
                }
            }
            exchange.write(new byte[0], true); // terminating chunk
            exchange.succeed();
        } catch (IOException e) {
            exchange.fail(e); // the peer is gone; already counted as a client abort by write()
        } catch (RuntimeException e) {
            exchange.reset(); // a throwing gate: cut the stream so the test sees something went wrong
            throw e;
        }
    }

    /** Pauses {@code d}, sending pings at the ping interval if set; {@code false} if the exchange ended. */
    private boolean stall(Duration d) throws IOException {
        long deadline = System.nanoTime() + d.toNanos();
        while (true) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return !exchange.isEnded();
            }
            Duration wait = Duration.ofNanos(left);
            if (pingInterval != null && pingInterval.compareTo(wait) < 0) {
                wait = pingInterval;
            }
            if (!exchange.pause(wait)) {
                return false;
            }
            if (pingInterval != null && deadline - System.nanoTime() > 0) {
                exchange.write(Wire.PING, false);
            }
        }
    }

    /** {@code event: error} with the envelope of the mid-stream example in §5 (no request_id there). */
    private byte[] errorEvent() {
        return Wire.sseEvent("error", Wire.errorEnvelope(fault.errorType, fault.message, null));
    }
}
