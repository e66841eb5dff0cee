package io.claudemirror.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.claudemirror.config.MirrorConfig;
import io.claudemirror.config.MirrorConfig.Limits;
import io.claudemirror.config.MirrorConfig.Tenant;
import io.claudemirror.ratelimit.Admission;
import io.claudemirror.ratelimit.LimitKind;
import io.claudemirror.ratelimit.TenantLimiter;
import io.github.bucket4j.TimeMeter;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The Redis limiter's contract on a real Redis, with a clock that stands still (no refill during a test). */
class RedisTenantLimiterTest {
    /** Nanoseconds since the epoch, fixed: buckets never refill while the test runs. */
    static final TimeMeter STILL = new TimeMeter() {
        private final long now = System.currentTimeMillis() * 1_000_000L;

        @Override
        public long currentTimeNanos() {
            return now;
        }

        @Override
        public boolean isWallClockBased() {
            return true;
        }
    };

    RedisServer redis;
    RedisStore store;

    @BeforeEach
    void start() throws Exception {
        redis = RedisServer.shared();
        store = new RedisStore(new MirrorConfig.Redis(redis.uri(), true, Duration.ofMillis(500),
                "test-" + UUID.randomUUID() + ":", Duration.ofSeconds(15), Duration.ofSeconds(1)), new ClusterMetrics());
    }

    @AfterEach
    void stop() throws Exception {
        store.close();
        redis.close();
    }

    static Tenant tenant(long rpm, long outputPerMinute, int maxConcurrent, long perDay) {
        return new Tenant("t-" + UUID.randomUUID(), List.of("plain:k"), new Limits(rpm, 0, outputPerMinute,
                maxConcurrent, perDay), List.of(), 1, null);
    }

    @Test
    void aRequestRefusedByOneLimitIsChargedNothingByTheOthers() {
        Tenant t = tenant(100, 1000, 0, 0);
        RedisTenantLimiter limiter = new RedisTenantLimiter(store, List.of(t), STILL);
        assertThat(limiter.admit(t, 0, 800, false).granted()).isTrue();
        Admission refused = limiter.admit(t, 0, 800, false);
        assertThat(refused.granted()).isFalse();
        assertThat(refused.rejectedBy()).isEqualTo(LimitKind.OUTPUT_TOKENS);
        assertThat(refused.satisfiable()).isTrue();
        // The refund is sent after the answer; the next reading waits for it on the same connection.
        TwoNodes.awaitQuietly(() -> limiter.headroom(t).requests().remaining() == 99);
        assertThat(limiter.headroom(t).outputTokens().remaining()).isEqualTo(200);
    }

    @Test
    void settlementCorrectsTheReservationToTheRealCount() {
        Tenant t = tenant(0, 1000, 0, 10_000);
        RedisTenantLimiter limiter = new RedisTenantLimiter(store, List.of(t), STILL);
        Admission a = limiter.admit(t, 0, 800, false);
        assertThat(limiter.headroom(t).outputTokens().remaining()).isEqualTo(200);
        limiter.settle(a, 50, 120);
        TwoNodes.awaitQuietly(() -> limiter.headroom(t).outputTokens().remaining() == 880);
        TwoNodes.awaitQuietly(() -> limiter.headroom(t).tokensPerDay().remaining() == 10_000 - 170);
        limiter.settle(a, 0, 0); // a second settlement is ignored
        assertThat(limiter.headroom(t).outputTokens().remaining()).isEqualTo(880);
    }

    @Test
    void concurrencyPermitsAreSharedLeasesReturnedOnSettlement() {
        Tenant t = tenant(0, 0, 2, 0);
        RedisTenantLimiter nodeA = new RedisTenantLimiter(store, List.of(t), STILL);
        RedisTenantLimiter nodeB = new RedisTenantLimiter(store, List.of(t), STILL);
        Admission first = nodeA.admit(t, 0, 0, true);
        Admission second = nodeB.admit(t, 0, 0, true);
        assertThat(first.holdsPermit()).isTrue();
        assertThat(second.holdsPermit()).isTrue();
        Admission third = nodeA.admit(t, 0, 0, true);
        assertThat(third.rejectedBy()).isEqualTo(LimitKind.CONCURRENT);
        nodeB.settle(second, TenantLimiter.KEEP_RESERVATION, TenantLimiter.KEEP_RESERVATION);
        assertThat(nodeA.inFlight(t)).isEqualTo(1);
        assertThat(nodeA.admit(t, 0, 0, true).granted()).isTrue();
    }

    @Test
    void idleTenantsLeaveNothingBehind() {
        Tenant t = tenant(60, 0, 1, 0);
        RedisTenantLimiter limiter = new RedisTenantLimiter(store, List.of(t), STILL);
        Admission a = limiter.admit(t, 0, 0, true);
        String bucket = store.tenantKey(t.id(), "rpm:60");
        Long ttl = store.call(l -> l.sync().pttl(bucket));
        // One request of 60/min refills in 1 s; the key lives that long plus the 10 s margin, no longer.
        assertThat(ttl).isBetween(1L, 11_000L);
        limiter.settle(a, TenantLimiter.KEEP_RESERVATION, TenantLimiter.KEEP_RESERVATION);
        Long permits = store.call(l -> l.sync().exists(store.tenantKey(t.id(), "permits")));
        assertThat(permits).isZero();
    }
}
