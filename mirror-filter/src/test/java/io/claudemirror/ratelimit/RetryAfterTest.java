package io.claudemirror.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The Bucket4j traps: truncation to 0 and Long.MAX_VALUE nanoseconds must never reach a client. */
class RetryAfterTest {
    @Test
    void roundsUpToWholeSeconds() {
        assertThat(RetryAfter.seconds(1)).isEqualTo(1);
        assertThat(RetryAfter.seconds(999_999_999)).isEqualTo(1);
        assertThat(RetryAfter.seconds(1_000_000_000)).isEqualTo(1);
        assertThat(RetryAfter.seconds(1_000_000_001)).isEqualTo(2);
        assertThat(RetryAfter.seconds(5_999_000_000L)).isEqualTo(6);
    }

    @Test
    void neverZero() {
        assertThat(RetryAfter.seconds(0)).isEqualTo(1);
        assertThat(RetryAfter.seconds(-5)).isEqualTo(1);
    }

    @Test
    void clampedInsteadOfHuge() {
        assertThat(RetryAfter.seconds(Long.MAX_VALUE)).isEqualTo(60);
        assertThat(RetryAfter.seconds(60_000_000_001L)).isEqualTo(60);
        assertThat(RetryAfter.worthWaiting(Long.MAX_VALUE)).isFalse();
        assertThat(RetryAfter.worthWaiting(60_000_000_000L)).isTrue();
    }
}
