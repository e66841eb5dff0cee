package io.claudemirror.cache;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * One complete {@code 200} answer as the upstream sent it (before any PII restore, so it holds placeholders,
 * never the values they stand for): either a JSON body or a whole SSE stream ending in {@code message_stop}.
 * Immutable; the body array is never modified after construction.
 *
 * @param stream        true when {@link #body} is an event stream
 * @param contentType   the upstream's content type
 * @param storedAtMillis when the answer was complete (for the {@code age} header)
 * @param body          the bytes
 */
public record CachedResponse(boolean stream, String contentType, long storedAtMillis, byte[] body) {
    private static final int FORMAT = 1;

    /** The serialized form, for tiers that store bytes (disk, Redis). */
    public ByteBuffer toBytes() {
        byte[] ct = contentType.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(1 + 1 + 8 + 4 + ct.length + 4 + body.length);
        b.put((byte) FORMAT).put((byte) (stream ? 1 : 0)).putLong(storedAtMillis)
                .putInt(ct.length).put(ct).putInt(body.length).put(body);
        return b.flip();
    }

    /** Reads what {@link #toBytes} wrote; throws {@link IllegalArgumentException} on anything else. */
    public static CachedResponse fromBytes(ByteBuffer b) {
        try {
            if (b.get() != FORMAT) {
                throw new IllegalArgumentException("unknown cache entry format");
            }
            boolean stream = b.get() == 1;
            long stored = b.getLong();
            byte[] ct = new byte[checkedLength(b)];
            b.get(ct);
            byte[] body = new byte[checkedLength(b)];
            b.get(body);
            return new CachedResponse(stream, new String(ct, StandardCharsets.UTF_8), stored, body);
        } catch (java.nio.BufferUnderflowException e) {
            throw new IllegalArgumentException("truncated cache entry", e);
        }
    }

    private static int checkedLength(ByteBuffer b) {
        int n = b.getInt();
        if (n < 0 || n > b.remaining()) {
            throw new IllegalArgumentException("corrupt cache entry");
        }
        return n;
    }

    /** Serialized size, for the per-entry cap. */
    public int size() {
        return 18 + contentType.length() + body.length;
    }
}
