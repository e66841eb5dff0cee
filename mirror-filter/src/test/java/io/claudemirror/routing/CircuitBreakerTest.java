package io.claudemirror.routing;

import static org.assertj.core.api.Assertions.assertThat;

import io.claudemirror.routing.CircuitBreaker.State;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The breaker on an injected clock: opening, the single half-open trial, exponential backoff. */
class CircuitBreakerTest {
    private final TestClock clock = new TestClock();

    private CircuitBreaker breaker(int consecutive, int ratePercent, int minRequests) {
        return new CircuitBreaker(consecutive, ratePercent, minRequests, Duration.ofSeconds(30).toNanos(),
                Duration.ofSeconds(10).toNanos(), Duration.ofSeconds(35).toNanos(), clock);
    }

    @Test
    void opensAfterConsecutiveFailuresAndASuccessResetsTheCount() {
        CircuitBreaker b = breaker(3, 0, 1);
        b.onFailure();
        b.onFailure();
        b.onSuccess();
        b.onFailure();
        b.onFailure();
        assertThat(b.state()).isEqualTo(State.CLOSED);
        b.onFailure();
        assertThat(b.state()).isEqualTo(State.OPEN);
        assertThat(b.available()).isFalse();
        assertThat(b.tryAcquire()).isFalse();
    }

    @Test
    void afterTheCooldownExactlyOneTrialPassesAndItsSuccessCloses() {
        CircuitBreaker b = breaker(1, 0, 1);
        b.onFailure();
        clock.advance(Duration.ofMillis(9_999));
        assertThat(b.tryAcquire()).isFalse();
        clock.advance(Duration.ofMillis(1));
        assertThat(b.available()).isTrue();
        assertThat(b.tryAcquire()).isTrue();
        assertThat(b.state()).isEqualTo(State.HALF_OPEN);
        assertThat(b.tryAcquire()).as("a second request while the trial runs").isFalse();
        assertThat(b.available()).isFalse();
        b.onSuccess();
        assertThat(b.state()).isEqualTo(State.CLOSED);
        assertThat(b.tryAcquire()).isTrue();
        assertThat(b.tryAcquire()).isTrue();
    }

    @Test
    void eachFailedTrialDoublesTheCooldownUpToTheMaximumAndASuccessResetsIt() {
        CircuitBreaker b = breaker(1, 0, 1);
        b.onFailure();
        assertThat(b.cooldownNanos()).isEqualTo(Duration.ofSeconds(10).toNanos());
        clock.advance(Duration.ofSeconds(10));
        assertThat(b.tryAcquire()).isTrue();
        b.onFailure();
        assertThat(b.cooldownNanos()).isEqualTo(Duration.ofSeconds(20).toNanos());
        clock.advance(Duration.ofSeconds(19));
        assertThat(b.tryAcquire()).isFalse();
        clock.advance(Duration.ofSeconds(1));
        assertThat(b.tryAcquire()).isTrue();
        b.onFailure();
        assertThat(b.cooldownNanos()).as("capped at maxCooldown").isEqualTo(Duration.ofSeconds(35).toNanos());
        clock.advance(Duration.ofSeconds(35));
        assertThat(b.tryAcquire()).isTrue();
        b.onSuccess();
        b.onFailure();
        assertThat(b.cooldownNanos()).isEqualTo(Duration.ofSeconds(10).toNanos());
        assertThat(b.opens()).isEqualTo(4);
    }

    @Test
    void aTrialThatNeverReportsLapsesAfterTheCooldown() {
        CircuitBreaker b = breaker(1, 0, 1);
        b.onFailure();
        clock.advance(Duration.ofSeconds(10));
        assertThat(b.tryAcquire()).isTrue();
        clock.advance(Duration.ofSeconds(9));
        assertThat(b.tryAcquire()).isFalse();
        clock.advance(Duration.ofSeconds(1));
        assertThat(b.tryAcquire()).as("the lost trial's lease ran out").isTrue();
    }

    @Test
    void opensOnTheErrorRateOnceTheWindowHoldsEnoughRequests() {
        CircuitBreaker b = breaker(100, 50, 10);
        for (int i = 0; i < 4; i++) {
            b.onSuccess();
            b.onFailure();
        }
        assertThat(b.state()).as("8 requests are below minRequests").isEqualTo(State.CLOSED);
        b.onSuccess();
        b.onFailure();
        assertThat(b.state()).isEqualTo(State.OPEN);
    }

    @Test
    void failuresOlderThanTheWindowDoNotCount() {
        CircuitBreaker b = breaker(100, 50, 4);
        b.onFailure();
        b.onFailure();
        b.onFailure();
        b.onSuccess();
        clock.advance(Duration.ofSeconds(31));
        b.onSuccess();
        b.onSuccess();
        b.onSuccess();
        b.onFailure();
        // Counting the old ones too would be 4 of 8 = 50 %, enough to open.
        assertThat(b.state()).as("1 of 4 in the window failed").isEqualTo(State.CLOSED);
    }
}
