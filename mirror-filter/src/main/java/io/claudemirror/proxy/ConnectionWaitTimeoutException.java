package io.claudemirror.proxy;

import java.io.IOException;

/**
 * Aborts an upstream request that waited longer than {@code proxy.connectionWaitTimeout} for a pooled connection.
 * Not a {@code TimeoutException}: the upstream did nothing wrong (it never saw the request), so it is neither a
 * 504 nor a failure that counts against the upstream's health; the client gets 529, overloaded.
 */
final class ConnectionWaitTimeoutException extends IOException {
    private static final long serialVersionUID = 1L;

    ConnectionWaitTimeoutException(long millis) {
        super("no upstream connection became free within proxy.connectionWaitTimeout (" + millis + " ms)");
    }
}
