package io.claudemirror.exchange;

/**
 * Token usage reported by the upstream: {@code input} counts all input (uncached, cache writes and reads),
 * {@code output} the generated tokens. -1 while unknown.
 */
public final class Usage {
    volatile long inputTokens = -1;
    volatile long outputTokens = -1;
    volatile long cacheReadTokens = -1;

    public long inputTokens() {
        return inputTokens;
    }

    public long outputTokens() {
        return outputTokens;
    }

    public long cacheReadTokens() {
        return cacheReadTokens;
    }

    public void input(long tokens) {
        inputTokens = tokens;
    }

    public void output(long tokens) {
        outputTokens = tokens;
    }

    public void cacheRead(long tokens) {
        cacheReadTokens = tokens;
    }
}
