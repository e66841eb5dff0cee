package io.claudemirror.proxy;

import io.claudemirror.exchange.ResponseTransformer;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * A transformer for small JSON bodies that must be seen whole before they can be rewritten (batch objects,
 * error envelopes). It holds everything back and emits the rewritten body at the end; bodies larger than
 * {@code limit} pass through unchanged from the point they overflow.
 */
abstract class BufferingTransformer implements ResponseTransformer {
    private final int limit;
    private byte[] buf = new byte[1024];
    private int len;
    private boolean overflow;

    BufferingTransformer(int limit) {
        this.limit = limit;
    }

    @Override
    public ByteBuffer transform(byte[] buffer, int offset, int length) {
        if (overflow) {
            return ByteBuffer.wrap(buffer, offset, length);
        }
        if (len + length > limit) {
            // Too large to rewrite safely in memory: give up rewriting and release what we held.
            overflow = true;
            byte[] all = Arrays.copyOf(buf, len + length);
            System.arraycopy(buffer, offset, all, len, length);
            buf = null;
            return ByteBuffer.wrap(all);
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
        if (overflow) {
            return ByteBuffer.allocate(0);
        }
        return ByteBuffer.wrap(rewrite(buf, len));
    }

    /** Returns the rewritten body. */
    abstract byte[] rewrite(byte[] body, int length);
}
