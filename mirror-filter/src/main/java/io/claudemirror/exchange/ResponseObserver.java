package io.claudemirror.exchange;

/**
 * Sees the proxied response as it passes: status and content type, each chunk of upstream bytes, and the
 * end. Registered on an {@link Exchange} by a filter before the chain continues; called by the proxy servlet
 * on HttpClient threads, one call at a time per exchange. Implementations must not keep the array passed to
 * {@link #onContent}: it is a pooled buffer, valid only during the call.
 */
public interface ResponseObserver {
    default void onHeaders(Exchange exchange, int status, String contentType) {
    }

    default void onContent(Exchange exchange, byte[] buffer, int offset, int length) {
    }

    /** Called once when the upstream response ended; {@code failure} is null on success. */
    default void onEnd(Exchange exchange, Throwable failure) {
    }
}
