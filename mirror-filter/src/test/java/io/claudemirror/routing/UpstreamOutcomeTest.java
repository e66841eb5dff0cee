package io.claudemirror.routing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.ConnectException;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

/** The one status classification that retry, failover and health share. */
class UpstreamOutcomeTest {
    @Test
    void statusesMapToOneOutcomeEach() {
        assertThat(UpstreamOutcome.classify(200)).isEqualTo(UpstreamOutcome.SUCCESS);
        assertThat(UpstreamOutcome.classify(304)).isEqualTo(UpstreamOutcome.SUCCESS);
        for (int s : new int[] {400, 401, 403, 404, 408, 413, 422}) {
            assertThat(UpstreamOutcome.classify(s)).as("status %d", s).isEqualTo(UpstreamOutcome.CLIENT_ERROR);
        }
        assertThat(UpstreamOutcome.classify(429)).isEqualTo(UpstreamOutcome.QUOTA);
        for (int s : new int[] {500, 502, 503, 504, 529}) {
            assertThat(UpstreamOutcome.classify(s)).as("status %d", s).isEqualTo(UpstreamOutcome.RETRYABLE);
        }
        assertThat(UpstreamOutcome.classify(501)).isEqualTo(UpstreamOutcome.SERVER_ERROR);
    }

    @Test
    void quotaIsRetriedElsewhereButIsNotIllHealth() {
        assertThat(UpstreamOutcome.QUOTA.retryable()).isTrue();
        assertThat(UpstreamOutcome.QUOTA.countsAgainstHealth()).isFalse();
        assertThat(UpstreamOutcome.CLIENT_ERROR.retryable()).isFalse();
        assertThat(UpstreamOutcome.CLIENT_ERROR.countsAgainstHealth()).isFalse();
        assertThat(UpstreamOutcome.RETRYABLE.retryable()).isTrue();
        assertThat(UpstreamOutcome.RETRYABLE.countsAgainstHealth()).isTrue();
        assertThat(UpstreamOutcome.SERVER_ERROR.retryable()).isFalse();
        assertThat(UpstreamOutcome.SERVER_ERROR.countsAgainstHealth()).isTrue();
    }

    @Test
    void failuresBeforeTheHeadersAreClassifiedByCause() {
        assertThat(UpstreamOutcome.classify(new ConnectException("refused"))).isEqualTo(UpstreamOutcome.CONNECT_FAILURE);
        assertThat(UpstreamOutcome.classify(new IOException(new FirstByteTimeoutException(100))))
                .isEqualTo(UpstreamOutcome.FIRST_BYTE_TIMEOUT);
        assertThat(UpstreamOutcome.classify(new TimeoutException("Total timeout"))).isEqualTo(UpstreamOutcome.TIMEOUT);
        assertThat(UpstreamOutcome.FIRST_BYTE_TIMEOUT.retryable()).isTrue();
        assertThat(UpstreamOutcome.TIMEOUT.retryable()).isFalse();
        assertThat(UpstreamOutcome.CONNECT_FAILURE.retryable()).isTrue();
    }
}
