package io.claudemirror.routing;

/**
 * Routing state several mirror nodes share (cluster mode): pacing slots, quota pauses and conversation
 * stickiness, keyed by upstream name. {@link UpstreamPool#share} installs one; without it every node keeps its
 * own. Any method may throw when the shared store cannot answer; the pool then decides on its local state for
 * that request, so routing never waits on, or fails because of, the shared store.
 */
public interface SharedRouting {

    /**
     * Reserves the next send slot toward {@code upstream} paced at {@code minIntervalMillis}; returns the wait in
     * milliseconds, or -1 (nothing reserved) when it would exceed {@code maxWaitMillis}.
     */
    long reserveSendSlot(String upstream, long minIntervalMillis, long maxWaitMillis);

    /** Publishes that {@code upstream}'s own quota is spent until {@code untilEpochMillis}. */
    void pauseUntil(String upstream, long untilEpochMillis);

    /** The end of {@code upstream}'s shared pause in epoch millis, or 0. */
    long pausedUntil(String upstream);

    /** The upstream name the conversation {@code key} is bound to, or null. */
    String sticky(String key);

    /** Binds the conversation {@code key} to {@code upstream} for {@code ttlMillis}. */
    void stick(String key, String upstream, long ttlMillis);
}
