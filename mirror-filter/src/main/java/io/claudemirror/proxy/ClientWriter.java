package io.claudemirror.proxy;

import io.claudemirror.container.ResponseWriteGate;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;
import java.nio.channels.WritePendingException;
import java.io.IOException;

/**
 * Writes upstream chunks to the client without blocking, flushing each one, and asks for the next chunk only
 * once the previous one has left. Both containers aggregate small writes (Jetty up to 8 KiB, Tomcat's 8 KiB
 * buffer), so without the flush an SSE stream arrives all at once at its end.
 *
 * <p>Non-blocking rules (Tomcat enforces them strictly): {@code write} and {@code flush} only while
 * {@code isReady()} is true; after {@code isReady()} returned false, wait for {@code onWritePossible}. The
 * writer therefore moves through write → flush → done, parking whenever the stream is not ready.
 *
 * <p>Chunks arrive on the upstream client's threads, so most writes happen outside the container's threads:
 * each call on the stream passes the exchange's {@link ResponseWriteGate}, which keeps the container from
 * ending and recycling the response while such a call is still inside it.
 */
final class ClientWriter implements WriteListener {
    /** Where the writer is in its cycle; a new chunk is accepted only in {@code IDLE}. */
    enum State {
        /** No chunk in hand: {@link #write} may start one. */
        IDLE,
        /** A chunk waits to be written. */
        WRITE,
        /** Written; the flush is pending. */
        FLUSH,
        /** Flushed; the sink is told once the stream says it is ready again. */
        DONE
    }

    /** What the writer reports back to. */
    interface Sink {
        /** The current chunk is written and flushed. */
        void written();

        /** The client went away or the write failed. */
        void writeFailed(Throwable failure);
    }

    private final ServletOutputStream out;
    private final ResponseWriteGate gate;
    private final Sink sink;
    private boolean listening;
    private State state = State.IDLE;
    private byte[] buffer;
    private int offset;
    private int length;

    ClientWriter(ServletOutputStream out, ResponseWriteGate gate, Sink sink) {
        this.out = out;
        this.gate = gate;
        this.sink = sink;
    }

    /**
     * Starts writing one chunk; {@link Sink#written} follows when it is flushed. The proxy demands the next
     * upstream chunk only after {@code written}, so a chunk arriving out of turn is a bug: it is refused with
     * {@link WritePendingException} rather than overwrite the one in flight.
     */
    void write(byte[] b, int off, int len) {
        if (state != State.IDLE) {
            throw new WritePendingException();
        }
        buffer = b;
        offset = off;
        length = len;
        state = State.WRITE;
        if (!listening) {
            // Checked, not held: from a foreign thread Tomcat runs the first onWritePossible inside this call
            // under the connection's lock, which its error handling holds while it waits at the gate.
            if (gate.closed()) {
                state = State.IDLE;
                sink.writeFailed(new IOException("the response has ended"));
                return;
            }
            listening = true;
            // The container calls onWritePossible, possibly on another thread; the data is set before.
            out.setWriteListener(this);
            return;
        }
        try {
            // The previous cycle ended with isReady() true, so writing directly is allowed.
            onWritePossible();
        } catch (IOException | RuntimeException e) {
            state = State.IDLE;
            sink.writeFailed(e);
        }
    }

    @Override
    public void onWritePossible() throws IOException {
        while (true) {
            switch (state) {
                case WRITE:
                    gate.enter();
                    try {
                        out.write(buffer, offset, length);
                        state = State.FLUSH;
                        if (!out.isReady()) {
                            return;
                        }
                    } finally {
                        gate.exit();
                    }
                    break;
                case FLUSH:
                    gate.enter();
                    try {
                        out.flush();
                        state = State.DONE;
                        if (!out.isReady()) {
                            return;
                        }
                    } finally {
                        gate.exit();
                    }
                    break;
                case DONE:
                    state = State.IDLE;
                    buffer = null;
                    sink.written();
                    return;
                default:
                    return;
            }
        }
    }

    @Override
    public void onError(Throwable failure) {
        state = State.IDLE;
        sink.writeFailed(failure);
    }
}
