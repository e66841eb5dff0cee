package io.claudemirror.ratelimit;

import static io.claudemirror.ratelimit.TenantLimiter.KEEP_RESERVATION;
import static org.assertj.core.api.Assertions.assertThat;

import io.claudemirror.config.MirrorConfig.Limits;
import io.claudemirror.config.MirrorConfig.Tenant;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.ArrayList;
import org.junit.jupiter.api.Test;

/** Each limit kind on a clock that only moves when told: admission, refill, reconciliation, exact waits. */
class LocalTenantLimiterTest {
    final ManualClock clock = new ManualClock();

    static Tenant tenant(Limits limits) {
        return new Tenant("t1", List.of("plain:sk-test"), limits, List.of(), 1, null);
    }

    LocalTenantLimiter limiter(Tenant tenant) {
        return new LocalTenantLimiter(List.of(tenant), clock);
    }

    static long seconds(long s) {
        return TimeUnit.SECONDS.toNanos(s);
    }

    @Test
    void requestsPerMinuteAdmitsTheBurstThenOneRequestPerSixSeconds() {
        Tenant t = tenant(new Limits(10, 0, 0, 0, 0));
        LocalTenantLimiter lim = limiter(t);
        for (int i = 0; i < 10; i++) {
            assertThat(lim.admit(t, 0, 0, false).granted()).as("request %d", i).isTrue();
        }
        Admission rejected = lim.admit(t, 0, 0, false);
        assertThat(rejected.granted()).isFalse();
        assertThat(rejected.rejectedBy()).isEqualTo(LimitKind.REQUESTS);
        assertThat(rejected.waitNanos()).isBetween(seconds(6) - 1_000, seconds(6));
        assertThat(rejected.retryAfterSeconds()).isEqualTo(6);
        assertThat(rejected.worthRetrying()).isTrue();

        clock.advance(Duration.ofMillis(5_999));
        Admission almost = lim.admit(t, 0, 0, false);
        assertThat(almost.granted()).isFalse();
        assertThat(almost.retryAfterSeconds()).as("1 ms left rounds up, never to 0").isEqualTo(1);

        clock.advance(Duration.ofMillis(1));
        assertThat(lim.admit(t, 0, 0, false).granted()).isTrue();
        assertThat(lim.admit(t, 0, 0, false).granted()).isFalse();
    }

    @Test
    void refillNeverExceedsTheCapacity() {
        Tenant t = tenant(new Limits(10, 0, 0, 0, 0));
        LocalTenantLimiter lim = limiter(t);
        clock.advance(Duration.ofHours(3));
        int granted = 0;
        for (int i = 0; i < 30; i++) {
            granted += lim.admit(t, 0, 0, false).granted() ? 1 : 0;
        }
        assertThat(granted).isEqualTo(10);
    }

    @Test
    void inputTokensPerMinuteWaitsForTheMissingTokensOnly() {
        Tenant t = tenant(new Limits(0, 1000, 0, 0, 0));
        LocalTenantLimiter lim = limiter(t);
        assertThat(lim.admit(t, 600, 0, true).granted()).isTrue();
        Admission rejected = lim.admit(t, 600, 0, true);
        assertThat(rejected.rejectedBy()).isEqualTo(LimitKind.INPUT_TOKENS);
        // 200 missing at 1000 per minute.
        assertThat(rejected.retryAfterSeconds()).isEqualTo(12);
        clock.advance(Duration.ofSeconds(12));
        assertThat(lim.admit(t, 600, 0, true).granted()).isTrue();
    }

    @Test
    void anInputEstimateAboveCapacityIsCappedThenTheRealCountIsChargedAsDebt() {
        Tenant t = tenant(new Limits(0, 1000, 0, 0, 0));
        LocalTenantLimiter lim = limiter(t);
        Admission a = lim.admit(t, 5000, 0, true);
        assertThat(a.granted()).isTrue();
        assertThat(a.inputTokens()).isEqualTo(1000);
        lim.settle(a, 3000, 10);
        Headroom.Quota input = lim.headroom(t).inputTokens();
        assertThat(input.remaining()).isZero();
        assertThat(input.resetEpochNanos()).isEqualTo(clock.currentTimeNanos() + seconds(180));
        Admission next = lim.admit(t, 1, 0, true);
        assertThat(next.rejectedBy()).isEqualTo(LimitKind.INPUT_TOKENS);
        assertThat(next.worthRetrying()).as("the debt takes two minutes to pay off").isFalse();
        assertThat(next.retryAfterSeconds()).isEqualTo(RetryAfter.MAX_SECONDS);
        clock.advance(Duration.ofSeconds(121));
        assertThat(lim.admit(t, 1, 0, true).granted()).isTrue();
    }

    @Test
    void outputReservationIsMaxTokensAndSettlementRefundsTheUnusedPart() {
        Tenant t = tenant(new Limits(0, 0, 1000, 0, 0));
        LocalTenantLimiter lim = limiter(t);
        Admission a = lim.admit(t, 50, 800, true);
        assertThat(lim.headroom(t).outputTokens().remaining()).isEqualTo(200);
        assertThat(lim.admit(t, 50, 800, true).rejectedBy()).isEqualTo(LimitKind.OUTPUT_TOKENS);
        lim.settle(a, 40, 37);
        assertThat(lim.headroom(t).outputTokens().remaining()).isEqualTo(963);
        assertThat(lim.admit(t, 50, 800, true).granted()).isTrue();
    }

    @Test
    void keepingTheReservationChargesMaxTokens() {
        Tenant t = tenant(new Limits(0, 0, 1000, 0, 0));
        LocalTenantLimiter lim = limiter(t);
        Admission a = lim.admit(t, 50, 800, true);
        lim.settle(a, 40, KEEP_RESERVATION);
        assertThat(lim.headroom(t).outputTokens().remaining()).isEqualTo(200);
    }

    @Test
    void maxTokensAboveTheOutputLimitCanNeverPassAndChargesNothing() {
        Tenant t = tenant(new Limits(10, 0, 1000, 0, 0));
        LocalTenantLimiter lim = limiter(t);
        Admission a = lim.admit(t, 10, 1500, true);
        assertThat(a.granted()).isFalse();
        assertThat(a.rejectedBy()).isEqualTo(LimitKind.OUTPUT_TOKENS);
        assertThat(a.satisfiable()).isFalse();
        assertThat(a.worthRetrying()).isFalse();
        assertThat(a.retryAfterSeconds()).as("clamped, never Long.MAX_VALUE nanoseconds").isEqualTo(60);
        assertThat(lim.headroom(t).requests().remaining()).isEqualTo(10);
        assertThat(LimitKind.OUTPUT_TOKENS.message(t.limits(), false, 1500))
                .contains("max_tokens (1500)", "1000 output tokens per minute", "lower max_tokens");
    }

    @Test
    void dailyBudgetIsChargedInputPlusOutputAndRefillsAtMidnightUtc() {
        Tenant t = tenant(new Limits(0, 0, 0, 0, 1000));
        LocalTenantLimiter lim = limiter(t);
        Admission a = lim.admit(t, 400, 500, true);
        assertThat(a.granted()).isTrue();
        assertThat(lim.headroom(t).tokensPerDay().remaining()).isEqualTo(100);

        Admission over = lim.admit(t, 0, 200, true);
        assertThat(over.rejectedBy()).isEqualTo(LimitKind.TOKENS_PER_DAY);
        assertThat(over.waitNanos()).isEqualTo(seconds(12 * 3600));
        assertThat(over.worthRetrying()).isFalse();

        lim.settle(a, 100, 50);
        assertThat(lim.headroom(t).tokensPerDay().remaining()).isEqualTo(850);
        assertThat(lim.admit(t, 0, 800, true).granted()).isTrue();
        Headroom.Quota day = lim.headroom(t).tokensPerDay();
        assertThat(day.remaining()).isEqualTo(50);
        assertThat(Instant.ofEpochSecond(0, day.resetEpochNanos())).isEqualTo(Instant.parse("2025-06-02T00:00:00Z"));

        clock.advance(Duration.ofHours(11).plusMinutes(59));
        assertThat(lim.admit(t, 0, 200, true).granted()).as("no trickle: a budget, not a rate").isFalse();
        clock.advance(Duration.ofMinutes(1));
        assertThat(lim.headroom(t).tokensPerDay().remaining()).isEqualTo(1000);
        assertThat(lim.admit(t, 0, 1000, true).granted()).isTrue();
    }

    @Test
    void maxTokensAboveTheDailyBudgetCanNeverPass() {
        Tenant t = tenant(new Limits(0, 0, 0, 0, 1000));
        Admission a = limiter(t).admit(t, 0, 1001, true);
        assertThat(a.rejectedBy()).isEqualTo(LimitKind.TOKENS_PER_DAY);
        assertThat(a.satisfiable()).isFalse();
    }

    @Test
    void concurrencyPermitsComeBackOnSettlementExactlyOnce() {
        Tenant t = tenant(new Limits(0, 0, 0, 2, 0));
        LocalTenantLimiter lim = limiter(t);
        Admission a1 = lim.admit(t, 10, 10, true);
        Admission a2 = lim.admit(t, 10, 10, true);
        Admission a3 = lim.admit(t, 10, 10, true);
        assertThat(a1.granted()).isTrue();
        assertThat(a2.granted()).isTrue();
        assertThat(a3.rejectedBy()).isEqualTo(LimitKind.CONCURRENT);
        assertThat(a3.retryAfterSeconds()).isEqualTo(1);
        assertThat(lim.admit(t, 0, 0, false).granted()).as("count_tokens/models take no permit").isTrue();

        lim.settle(a1, KEEP_RESERVATION, KEEP_RESERVATION);
        lim.settle(a1, KEEP_RESERVATION, KEEP_RESERVATION);
        lim.settle(a3, 0, 0);
        assertThat(lim.inFlight(t)).isEqualTo(1);
        assertThat(lim.admit(t, 10, 10, true).granted()).isTrue();
        assertThat(lim.admit(t, 10, 10, true).granted()).isFalse();
    }

    @Test
    void aRejectionChargesNoOtherBucket() {
        Tenant t = tenant(new Limits(10, 1000, 1000, 0, 5000));
        LocalTenantLimiter lim = limiter(t);
        assertThat(lim.admit(t, 100, 900, true).granted()).isTrue();
        Admission r = lim.admit(t, 100, 200, true);
        assertThat(r.rejectedBy()).isEqualTo(LimitKind.OUTPUT_TOKENS);
        Headroom h = lim.headroom(t);
        assertThat(h.requests().remaining()).isEqualTo(9);
        assertThat(h.inputTokens().remaining()).isEqualTo(900);
        assertThat(h.tokensPerDay().remaining()).isEqualTo(4000);
    }

    @Test
    void theRejectionNamesTheLimitWithTheLongestWait() {
        Tenant t = tenant(new Limits(60, 600, 0, 0, 0));
        LocalTenantLimiter lim = limiter(t);
        for (int i = 0; i < 60; i++) {
            lim.admit(t, 10, 0, true);
        }
        Admission r = lim.admit(t, 300, 0, true);
        assertThat(r.rejectedBy()).isEqualTo(LimitKind.INPUT_TOKENS);
        assertThat(r.retryAfterSeconds()).isEqualTo(30);
    }

    @Test
    void headroomReportsRemainingAndTheInstantEachBucketIsFullAgain() {
        Tenant t = tenant(new Limits(10, 1000, 500, 0, 5000));
        LocalTenantLimiter lim = limiter(t);
        lim.admit(t, 100, 200, true);
        Headroom h = lim.headroom(t);
        long now = clock.currentTimeNanos();
        assertThat(h.requests()).isEqualTo(new Headroom.Quota(10, 9, now + seconds(6)));
        assertThat(h.inputTokens()).isEqualTo(new Headroom.Quota(1000, 900, now + seconds(6)));
        assertThat(h.outputTokens()).isEqualTo(new Headroom.Quota(500, 300, now + seconds(24)));
        assertThat(h.tokensPerDay().remaining()).isEqualTo(4700);
        assertThat(tenant(new Limits(10, 0, 0, 0, 0)).limits().any()).isTrue();
        Headroom onlyRequests = new LocalTenantLimiter(List.of(), clock).headroom(tenant(new Limits(10, 0, 0, 0, 0)));
        assertThat(onlyRequests.inputTokens()).isNull();
        assertThat(onlyRequests.requests().resetEpochNanos()).as("full now").isEqualTo(now);
    }

    @Test
    void fortyParallelRequestsAgainstTenPerMinuteAdmitExactlyTen() throws Exception {
        Tenant t = tenant(new Limits(10, 100_000, 100_000, 0, 1_000_000));
        for (int round = 0; round < 20; round++) {
            LocalTenantLimiter lim = limiter(t);
            assertThat(admitInParallel(lim, t, 40)).as("round %d", round).isEqualTo(10);
        }
    }

    @Test
    void fortyParallelRequestsAgainstTheTokenLimitAdmitExactlyTen() throws Exception {
        Tenant t = tenant(new Limits(1000, 10_000, 0, 0, 0));
        for (int round = 0; round < 20; round++) {
            LocalTenantLimiter lim = limiter(t);
            // Each asks for 1,000 input tokens: exactly ten fit.
            assertThat(admitInParallel(lim, t, 40, 1000, 0)).as("round %d", round).isEqualTo(10);
        }
    }


    int admitInParallel(LocalTenantLimiter lim, Tenant t, int n) throws Exception {
        return admitInParallel(lim, t, n, 10, 10);
    }

    int admitInParallel(LocalTenantLimiter lim, Tenant t, int n, long in, long out) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(n);
        try {
            CountDownLatch ready = new CountDownLatch(n);
            CountDownLatch go = new CountDownLatch(1);
            List<Future<Boolean>> results = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                results.add(pool.submit(() -> {
                    ready.countDown();
                    go.await();
                    return lim.admit(t, in, out, true).granted();
                }));
            }
            ready.await();
            go.countDown();
            int granted = 0;
            for (Future<Boolean> f : results) {
                granted += f.get(10, TimeUnit.SECONDS) ? 1 : 0;
            }
            return granted;
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void limitsAboveBucket4jsHighestRefillRateStillWork() {
        // Bucket4j allows at most 1 token per nanosecond (60e9 per minute) of refill.
        long huge = 1_000_000_000_000L;
        Tenant t = tenant(new Limits(huge, huge, huge, 0, Long.MAX_VALUE / 2));
        LocalTenantLimiter lim = limiter(t);
        assertThat(lim.admit(t, 1_000_000, 1_000_000, true).granted()).isTrue();
        assertThat(lim.headroom(t).inputTokens().limit()).isEqualTo(huge);
    }

    @Test
    void aTenantNotInTheConfigurationGetsItsOwnBuckets() {
        LocalTenantLimiter lim = new LocalTenantLimiter(List.of(), clock);
        Tenant t = tenant(new Limits(1, 0, 0, 0, 0));
        assertThat(lim.admit(t, 0, 0, false).granted()).isTrue();
        assertThat(lim.admit(t, 0, 0, false).granted()).isFalse();
    }
}
