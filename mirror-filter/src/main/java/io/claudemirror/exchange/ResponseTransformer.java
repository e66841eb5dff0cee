package io.claudemirror.exchange;

import java.nio.ByteBuffer;

/**
 * Rewrites the response body on its way to the client (PII placeholders back to their values). It may hold
 * bytes back (a placeholder split across chunks) and release them with a later chunk or in {@link #finish()}.
 * When a transformer is set, the upstream {@code Content-Length} is dropped.
 */
public interface ResponseTransformer {
    /** Called before any content, with the upstream status and content type (may be null). */
    default void begin(int status, String contentType) {
    }

    /** Returns the bytes to send now for this chunk; an empty buffer holds everything back. */
    ByteBuffer transform(byte[] buffer, int offset, int length);

    /** Returns whatever is still held back at the end of a complete response. */
    ByteBuffer finish();
}
