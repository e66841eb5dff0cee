package io.claudemirror.ratelimit;

/**
 * A tenant's current headroom under each limit it has, for the {@code anthropic-ratelimit-*} headers. A
 * component is null when the tenant has no such limit.
 */
public record Headroom(Quota requests, Quota inputTokens, Quota outputTokens, Quota tokensPerDay) {

    /**
     * One limit's state.
     *
     * @param limit           the configured limit
     * @param remaining       tokens available now, floored at 0 (a bucket in debt after reconciliation is below 0)
     * @param resetEpochNanos when the bucket will be full again, in nanoseconds since the epoch
     */
    public record Quota(long limit, long remaining, long resetEpochNanos) {
    }
}
