package io.claudemirror.routing;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Reading an upstream's spent quota from its response headers. */
class QuotaHeadersTest {
    private static final Instant NOW = Instant.parse("2026-06-01T12:00:00Z");

    private static long pause(int status, Map<String, String> headers) {
        return QuotaHeaders.pauseNanos(headers::get, status, NOW);
    }

    @Test
    void retryAfterInSecondsOrAsAnHttpDateOnA429() {
        assertThat(pause(429, Map.of("retry-after", "5"))).isEqualTo(Duration.ofSeconds(5).toNanos());
        assertThat(pause(429, Map.of("retry-after", "Mon, 01 Jun 2026 12:00:30 GMT")))
                .isEqualTo(Duration.ofSeconds(30).toNanos());
        assertThat(pause(429, Map.of())).as("a 429 without a hint still rests a little")
                .isEqualTo(QuotaHeaders.DEFAULT_429_PAUSE.toNanos());
        assertThat(pause(529, Map.of("retry-after", "5"))).as("overload is health, not quota").isZero();
    }

    @Test
    void remainingZeroPausesUntilItsResetEvenOnASuccess() {
        assertThat(pause(200, Map.of("anthropic-ratelimit-output-tokens-remaining", "0",
                "anthropic-ratelimit-output-tokens-reset", "2026-06-01T12:00:12Z")))
                .isEqualTo(Duration.ofSeconds(12).toNanos());
        assertThat(pause(200, Map.of("anthropic-ratelimit-requests-remaining", "3",
                "anthropic-ratelimit-requests-reset", "2026-06-01T12:00:12Z"))).isZero();
        assertThat(pause(429, Map.of("retry-after", "2", "anthropic-ratelimit-tokens-remaining", "0",
                "anthropic-ratelimit-tokens-reset", "2026-06-01T12:00:40+00:00")))
                .as("the longest applies").isEqualTo(Duration.ofSeconds(40).toNanos());
    }

    @Test
    void wildOrBrokenValuesAreBoundedOrIgnored() {
        assertThat(pause(429, Map.of("retry-after", "999999"))).isEqualTo(QuotaHeaders.MAX_PAUSE.toNanos());
        assertThat(pause(200, Map.of("anthropic-ratelimit-requests-remaining", "0",
                "anthropic-ratelimit-requests-reset", "soon"))).isZero();
        assertThat(pause(200, Map.of("anthropic-ratelimit-requests-remaining", "0",
                "anthropic-ratelimit-requests-reset", "2026-06-01T11:00:00Z"))).as("in the past").isZero();
        assertThat(QuotaHeaders.pauseUntil(Map.<String, String>of()::get, 200, 77, NOW)).isZero();
        assertThat(QuotaHeaders.pauseUntil(Map.of("retry-after", "1")::get, 429, 77, NOW)).isEqualTo(77 + 1_000_000_000L);
    }
}
