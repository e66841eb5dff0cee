package io.claudemirror.ratelimit;

/**
 * The reservation taken before a messages request goes upstream. It only has to be good enough to stop a burst:
 * the real {@code usage} replaces it when the response ends.
 */
public final class TokenEstimates {
    /**
     * Bytes of request JSON per input token. English prose runs at about 4 characters per token, and the JSON
     * envelope around it only adds bytes, so this mostly overestimates, the safe direction (a surplus is
     * refunded; a shortfall is charged afterwards as debt).
     */
    public static final int BYTES_PER_TOKEN = 4;

    /** Output reservation when a request has no {@code max_tokens} (the Messages API requires it). */
    public static final long DEFAULT_OUTPUT_RESERVATION = 4096;

    private TokenEstimates() {
    }

    /** Input tokens estimated from the body's size: {@code ceil(bytes / 4)}. */
    public static long inputTokens(long bodyBytes) {
        return bodyBytes <= 0 ? 0 : (bodyBytes + BYTES_PER_TOKEN - 1) / BYTES_PER_TOKEN;
    }

    /** Output tokens to reserve: {@code max_tokens}, the most the upstream may generate. */
    public static long outputTokens(long maxTokens) {
        return maxTokens >= 0 ? maxTokens : DEFAULT_OUTPUT_RESERVATION;
    }
}
