package io.claudemirror.pii;

import java.util.Arrays;

/** A growable byte buffer, reused where the restore path assembles output chunk by chunk. */
final class ByteSink {
    private byte[] buf;
    private int size;

    ByteSink(int capacity) {
        buf = new byte[Math.max(16, capacity)];
    }

    ByteSink put(byte b) {
        if (size == buf.length) {
            grow(1);
        }
        buf[size++] = b;
        return this;
    }

    ByteSink put(byte[] b, int off, int len) {
        if (len > buf.length - size) {
            grow(len);
        }
        System.arraycopy(b, off, buf, size, len);
        size += len;
        return this;
    }

    ByteSink put(byte[] b) {
        return put(b, 0, b.length);
    }

    private void grow(int extra) {
        buf = Arrays.copyOf(buf, Math.max(buf.length * 2, size + extra));
    }

    int size() {
        return size;
    }

    byte[] array() {
        return buf;
    }

    void clear() {
        size = 0;
    }

    /** Drops the first {@code n} bytes, keeping the rest at the start. */
    void discard(int n) {
        System.arraycopy(buf, n, buf, 0, size - n);
        size -= n;
    }

    byte[] toArray() {
        return Arrays.copyOf(buf, size);
    }
}
