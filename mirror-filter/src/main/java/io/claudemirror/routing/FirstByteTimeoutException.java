package io.claudemirror.routing;

import java.util.concurrent.TimeoutException;

/**
 * The abort cause of an attempt whose response headers did not arrive within {@code failover.firstByteTimeout}.
 * Unlike the idle and total timeouts it leaves time to try another upstream ({@link UpstreamOutcome#FIRST_BYTE_TIMEOUT}).
 */
public final class FirstByteTimeoutException extends TimeoutException {
    private static final long serialVersionUID = 1L;

    public FirstByteTimeoutException(long millis) {
        super("no response headers within " + millis + " ms");
    }

    @Override
    public synchronized Throwable fillInStackTrace() {
        // Raised on a timer; the stack says nothing useful.
        return this;
    }
}
