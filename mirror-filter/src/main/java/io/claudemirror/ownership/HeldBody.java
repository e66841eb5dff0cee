package io.claudemirror.ownership;

import io.claudemirror.exchange.ResponseTransformer;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * A transformer that holds a small JSON response back whole and releases it, rewritten, only at the end of a
 * complete response: nothing of it reaches the client before {@link #rewrite} ran. Only a 2xx JSON body is
 * held; any other passes as it comes. A body over {@code limit} is handed to {@link #overflow} (fail closed:
 * the subclass decides what the client may see instead).
 */
abstract class HeldBody implements ResponseTransformer {
    private final int limit;
    private boolean active;
    private byte[] buf;
    private int len;
    private boolean overflowed;

    HeldBody(int limit) {
        this.limit = limit;
    }

    @Override
    public void begin(int status, String contentType) {
        active = status >= 200 && status < 300 && contentType != null
                && contentType.regionMatches(true, 0, "application/json", 0, 16);
        if (active) {
            buf = new byte[1024];
        }
    }

    @Override
    public ByteBuffer transform(byte[] buffer, int offset, int length) {
        if (!active) {
            return ByteBuffer.wrap(buffer, offset, length);
        }
        if (overflowed) {
            return ByteBuffer.allocate(0);
        }
        if (len + length > limit) {
            overflowed = true;
            buf = null;
            return ByteBuffer.allocate(0);
        }
        if (len + length > buf.length) {
            buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + length));
        }
        System.arraycopy(buffer, offset, buf, len, length);
        len += length;
        return ByteBuffer.allocate(0);
    }

    @Override
    public ByteBuffer finish() {
        if (!active || len == 0 && !overflowed) {
            return ByteBuffer.allocate(0); // nothing held (a HEAD answer): nothing to rewrite or reveal
        }
        return ByteBuffer.wrap(overflowed ? overflow() : rewrite(buf, len));
    }

    /** The body to send for a complete held body of {@code length} bytes. */
    abstract byte[] rewrite(byte[] body, int length);

    /** The body to send instead of one larger than the limit (which was dropped). */
    abstract byte[] overflow();
}
