package io.claudemirror.cluster;

/**
 * The ownership index could not be read (Redis down or slow). The ownership filter treats the id as nobody's:
 * ownership checks always fail closed, whatever {@code redis.failurePolicy} says.
 */
public final class OwnershipUnavailableException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    OwnershipUnavailableException(Throwable cause) {
        super("the ownership index is unreachable", cause);
    }
}
