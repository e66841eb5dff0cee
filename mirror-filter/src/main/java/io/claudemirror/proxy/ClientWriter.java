package io.claudemirror.proxy;

import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;
import java.io.IOException;

/**
 * Writes upstream chunks to the client without blocking, flushing each one, and asks for the next chunk only
 * once the previous one has left. Both containers aggregate small writes (Jetty up to 8 KiB, Tomcat's 8 KiB
 * buffer), so without the flush an SSE stream arrives all at once at its end.
 *
 * <p>Non-blocking rules (Tomcat enforces them strictly): {@code write} and {@code flush} only while
 * {@code isReady()} is true; after {@code isReady()} returned false, wait for {@code onWritePossible}. The
 * writer therefore moves through write → flush → done, parking whenever the stream is not ready.
 */
final class ClientWriter implements WriteListener {
    private static final int IDLE = 0;
    private static final int WRITE = 1;
    private static final int FLUSH = 2;
    private static final int DONE = 3;

    /** What the writer reports back to. */
    interface Sink {
        /** The current chunk is written and flushed. */
        void written();

        /** The client went away or the write failed. */
        void writeFailed(Throwable failure);
    }

    private final ServletOutputStream out;
    private final Sink sink;
    private boolean listening;
    private int phase = IDLE;
    private byte[] buffer;
    private int offset;
    private int length;

    ClientWriter(ServletOutputStream out, Sink sink) {
        this.out = out;
        this.sink = sink;
    }

    boolean idle() {
        return phase == IDLE;
    }

    boolean started() {
        return listening;
    }

    /**
     * Starts writing one chunk; {@link Sink#written} follows when it is flushed. Must only be called while
     * idle (the proxy demands the next upstream chunk only after {@code written}).
     */
    void write(byte[] b, int off, int len) {
        buffer = b;
        offset = off;
        length = len;
        phase = WRITE;
        if (!listening) {
            listening = true;
            // The container calls onWritePossible, possibly on another thread; the data is set before.
            out.setWriteListener(this);
            return;
        }
        try {
            // The previous cycle ended with isReady() true, so writing directly is allowed.
            onWritePossible();
        } catch (IOException | RuntimeException e) {
            phase = IDLE;
            sink.writeFailed(e);
        }
    }

    @Override
    public void onWritePossible() throws IOException {
        while (true) {
            switch (phase) {
                case WRITE:
                    out.write(buffer, offset, length);
                    phase = FLUSH;
                    if (!out.isReady()) {
                        return;
                    }
                    break;
                case FLUSH:
                    out.flush();
                    phase = DONE;
                    if (!out.isReady()) {
                        return;
                    }
                    break;
                case DONE:
                    phase = IDLE;
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
        phase = IDLE;
        sink.writeFailed(failure);
    }
}
