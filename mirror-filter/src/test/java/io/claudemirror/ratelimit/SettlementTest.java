package io.claudemirror.ratelimit;

import static io.claudemirror.ratelimit.TenantLimiter.KEEP_RESERVATION;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** How each way a request can end turns into the final charge. */
class SettlementTest {
    @Test
    void aCompleteResponseIsChargedItsReportedUsage() {
        assertThat(Settlement.input(false, false, 200, 120)).isEqualTo(120);
        assertThat(Settlement.output(false, false, 200, null, 120, 37)).isEqualTo(37);
    }

    @Test
    void aCacheHitIsRefunded() {
        assertThat(Settlement.input(true, false, 200, 120)).isZero();
        assertThat(Settlement.output(true, false, 200, null, 120, 37)).isZero();
    }

    @Test
    void aClientDisconnectMidStreamKeepsTheOutputReservation() {
        // message_start reported input exactly; the final message_delta never arrived.
        assertThat(Settlement.input(false, true, 200, 120)).isEqualTo(120);
        assertThat(Settlement.output(false, true, 200, null, 120, 1)).isEqualTo(KEEP_RESERVATION);
    }

    @Test
    void anErrorMidStreamKeepsTheOutputReservation() {
        assertThat(Settlement.output(false, false, 200, "overloaded_error", 120, 5)).isEqualTo(KEEP_RESERVATION);
    }

    @Test
    void anErrorAnswerWithoutUsageIsRefunded() {
        for (int status : new int[] {400, 429, 500, 502, 529}) {
            assertThat(Settlement.input(false, false, status, -1)).as("%d", status).isZero();
            assertThat(Settlement.output(false, false, status, "x", -1, -1)).as("%d", status).isZero();
        }
    }

    @Test
    void aTimeoutOrADisconnectWithoutUsageKeepsTheReservation() {
        assertThat(Settlement.input(false, false, 504, -1)).isEqualTo(KEEP_RESERVATION);
        assertThat(Settlement.output(false, false, 504, "timeout_error", -1, -1)).isEqualTo(KEEP_RESERVATION);
        assertThat(Settlement.input(false, true, 200, -1)).isEqualTo(KEEP_RESERVATION);
        assertThat(Settlement.output(false, true, 200, null, -1, -1)).isEqualTo(KEEP_RESERVATION);
        assertThat(Settlement.output(false, false, 200, null, -1, -1)).isEqualTo(KEEP_RESERVATION);
    }
}
