package io.claudemirror.cluster;

/**
 * Redis could not answer this node now (down, timed out, or refused the command). Cluster components catch it
 * and apply the failure policy: local limits or a refusal, a cache miss, a closed ownership check.
 */
public final class RedisUnavailableException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public RedisUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
