package io.claudemirror.routing;

import static org.assertj.core.api.Assertions.assertThat;

import io.claudemirror.config.MirrorConfig.Routing;
import io.claudemirror.config.MirrorConfig.Upstream;
import io.claudemirror.routing.UpstreamPool.Pick;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The chooser on an injected clock and a seeded random source. */
class UpstreamPoolTest {
    private final TestClock clock = new TestClock();

    /** Breaker opens on the first failure, 10 s cooldown; everything else default. */
    private static final Routing ROUTING = new Routing(1, 0, 1, Duration.ofSeconds(30), Duration.ofSeconds(10),
            Duration.ofMinutes(5), Duration.ZERO, Duration.ofSeconds(5), true, Duration.ofHours(1), 3,
            Duration.ofSeconds(10), Duration.ofMillis(500));

    private static Upstream up(String name, int weight, boolean backup) {
        return new Upstream(name, URI.create("http://" + name + ".example"), "k", weight, backup, Duration.ZERO);
    }

    private UpstreamPool pool(Upstream... ups) {
        return new UpstreamPool(List.of(ups), ROUTING, clock, clock, new SplittableRandom(42));
    }

    private int[] traffic(UpstreamPool pool, int requests, long... ttfbMillis) {
        int[] hits = new int[pool.size()];
        for (int i = 0; i < requests; i++) {
            int index = pool.choose(null, 0).index();
            hits[index]++;
            pool.begin(index);
            clock.advance(Duration.ofMillis(ttfbMillis[index]));
            pool.onSuccess(index, Duration.ofMillis(ttfbMillis[index]).toNanos());
            pool.end(index);
            clock.advance(Duration.ofMillis(10));
        }
        return hits;
    }

    @Test
    void weightsShareTheTrafficWhenLatenciesAreEqual() {
        UpstreamPool pool = pool(up("a", 3, false), up("b", 1, false), up("c", 1, false));
        // Equal latency and nothing in flight: the first of the two draws wins ties, so shares follow weights.
        int[] hits = new int[3];
        for (int i = 0; i < 5000; i++) {
            hits[pool.choose(null, 0).index()]++;
        }
        assertThat(hits[0]).isBetween(2400, 3600);
        assertThat(hits[1]).isBetween(700, 1300);
        assertThat(hits[2]).isBetween(700, 1300);
    }

    @Test
    void aSlowUpstreamGetsLittleTrafficAndIsTriedAgainOnceItsCostHasDecayed() {
        UpstreamPool pool = pool(up("fast", 1, false), up("slow", 1, false));
        traffic(pool, 10, 5, 200);
        // About 30 s of traffic (15 ms per request): the slow one's peak stays above the fast one's average.
        int[] hits = traffic(pool, 2000, 5, 200);
        assertThat(hits[1]).as("slow share after warm-up").isLessThan(20);
        assertThat(pool.get(1).latencyEwmaMillis()).isGreaterThan(pool.get(0).latencyEwmaMillis());
        // Without new samples its cost decays (tau 10 s) below the fast one's, so it is tried again.
        int[] later = traffic(pool, 3000, 5, 200);
        assertThat(later[1]).isPositive();
    }

    @Test
    void requestsInFlightRaiseTheScoreSoLoadSpreads() {
        UpstreamPool pool = pool(up("a", 1, false), up("b", 1, false));
        pool.onSuccess(0, Duration.ofMillis(10).toNanos());
        pool.onSuccess(1, Duration.ofMillis(10).toNanos());
        for (int i = 0; i < 5; i++) {
            pool.begin(0);
        }
        for (int i = 0; i < 20; i++) {
            assertThat(pool.choose(null, 0).index()).isEqualTo(1);
        }
    }

    @Test
    void anOpenUpstreamIsSkippedAndComesBackAfterItsCooldownThroughOneTrial() {
        UpstreamPool pool = pool(up("a", 1, false), up("b", 1, false));
        pool.onFailure(0, UpstreamOutcome.RETRYABLE);
        for (int i = 0; i < 50; i++) {
            assertThat(pool.choose(null, 0).index()).isEqualTo(1);
        }
        clock.advance(Duration.ofSeconds(10));
        List<Integer> picks = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            picks.add(pool.choose(null, 0).index());
        }
        assertThat(picks).as("exactly one half-open trial").containsOnlyOnce(0);
        pool.onSuccess(0, Duration.ofMillis(1).toNanos());
        assertThat(pool.get(0).breakerState()).isEqualTo(CircuitBreaker.State.CLOSED);
    }

    @Test
    void backupsServeOnlyWhenEveryPrimaryIsOpen() {
        UpstreamPool pool = pool(up("a", 1, false), up("b", 1, false), up("spare", 1, true));
        for (int i = 0; i < 200; i++) {
            assertThat(pool.choose(null, 0).index()).isNotEqualTo(2);
        }
        pool.onFailure(0, UpstreamOutcome.CONNECT_FAILURE);
        assertThat(pool.choose(null, 0).index()).isEqualTo(1);
        pool.onFailure(1, UpstreamOutcome.RETRYABLE);
        assertThat(pool.choose(null, 0).index()).isEqualTo(2);
        // Within one request, a tried primary sends the retry to the backup too.
        UpstreamPool fresh = pool(up("a", 1, false), up("spare", 1, true));
        assertThat(fresh.choose(null, 0b01).index()).isEqualTo(1);
    }

    @Test
    void withNothingHealthyTheLeastBadIsStillTriedRatherThanRefused() {
        UpstreamPool pool = pool(up("a", 1, false), up("b", 1, false));
        pool.onFailure(0, UpstreamOutcome.RETRYABLE);
        clock.advance(Duration.ofSeconds(5));
        pool.onFailure(1, UpstreamOutcome.RETRYABLE);
        assertThat(pool.choose(null, 0).index()).as("a's cooldown ends first").isEqualTo(0);
        assertThat(pool.choose(null, 0b01).index()).isEqualTo(1);
        assertThat(pool.choose(null, 0b11)).isEqualTo(Pick.NONE);
        assertThat(pool.anyLeft(0b01)).isTrue();
        assertThat(pool.anyLeft(0b11)).isFalse();
    }

    @Test
    void aQuotaPauseRestsTheUpstreamWithoutTouchingItsHealth() {
        UpstreamPool pool = pool(up("a", 1, false), up("b", 1, false));
        pool.onFailure(0, UpstreamOutcome.QUOTA);
        pool.onQuota(0, clock.getAsLong() + Duration.ofSeconds(5).toNanos());
        assertThat(pool.get(0).healthy()).isTrue();
        assertThat(pool.get(0).paused()).isTrue();
        assertThat(pool.get(0).pausedUntilMillis()).isEqualTo(TestClock.START.plusSeconds(5).toEpochMilli());
        for (int i = 0; i < 50; i++) {
            assertThat(pool.choose(null, 0).index()).isEqualTo(1);
        }
        clock.advance(Duration.ofSeconds(5));
        assertThat(pool.get(0).paused()).isFalse();
        int[] hits = new int[2];
        for (int i = 0; i < 100; i++) {
            hits[pool.choose(null, 0).index()]++;
        }
        assertThat(hits[0]).isPositive();
    }

    @Test
    void aConversationStaysOnItsUpstreamMovesWhenItFailsAndStaysOnTheNewOne() {
        UpstreamPool pool = pool(up("a", 1, false), up("b", 1, false), up("c", 1, false));
        Pick first = pool.choose("conv", 0);
        for (int i = 0; i < 20; i++) {
            Pick p = pool.choose("conv", 0);
            assertThat(p.index()).isEqualTo(first.index());
            assertThat(p.sticky()).isTrue();
        }
        pool.onFailure(first.index(), UpstreamOutcome.RETRYABLE);
        Pick moved = pool.choose("conv", 0);
        assertThat(moved.index()).isNotEqualTo(first.index());
        assertThat(moved.moved()).isTrue();
        clock.advance(Duration.ofSeconds(11));
        pool.onSuccess(first.index(), 1_000_000);
        for (int i = 0; i < 20; i++) {
            assertThat(pool.choose("conv", 0).index()).as("stays after the old one recovered").isEqualTo(moved.index());
        }
    }

    @Test
    void aConversationOnABackupReturnsToAPrimaryOnceOneIsUsable() {
        UpstreamPool pool = pool(up("a", 1, false), up("spare", 1, true));
        pool.onFailure(0, UpstreamOutcome.RETRYABLE);
        assertThat(pool.choose("conv", 0).index()).isEqualTo(1);
        clock.advance(Duration.ofSeconds(10));
        assertThat(pool.choose("conv", 0).index()).isEqualTo(0);
    }

    @Test
    void stickinessExpiresAfterItsTtlAndMemoryIsBounded() {
        UpstreamPool pool = pool(up("a", 1, false), up("b", 1, false));
        for (int i = 0; i < 10; i++) {
            pool.choose("conv" + i, 0);
        }
        assertThat(pool.stickyEntries()).isEqualTo(3);
        StickyTable table = new StickyTable(Duration.ofHours(1).toNanos(), 10);
        table.put("k", 1, 0);
        assertThat(table.get("k", Duration.ofMinutes(59).toNanos())).isEqualTo(1);
        assertThat(table.get("k", Duration.ofMinutes(60).toNanos())).isEqualTo(-1);
    }

    @Test
    void pacingBeyondTheMaximumWaitIsRefusedAndReservesNothing() {
        Upstream paced = new Upstream("p", URI.create("http://p.example"), "k", 1, false, Duration.ofMillis(200));
        UpstreamPool pool = pool(paced);
        UpstreamState s = pool.get(0);
        long max = ROUTING.maxPacingWait().toNanos();
        assertThat(s.reserveSendSlot(max)).isZero();
        assertThat(s.reserveSendSlot(max)).isEqualTo(Duration.ofMillis(200).toNanos());
        assertThat(s.reserveSendSlot(max)).isEqualTo(Duration.ofMillis(400).toNanos());
        assertThat(s.reserveSendSlot(max)).isEqualTo(-1);
        assertThat(s.pacingRefusals()).isEqualTo(1);
        clock.advance(Duration.ofMillis(200));
        assertThat(s.reserveSendSlot(max)).as("the refused request took no slot").isEqualTo(Duration.ofMillis(400).toNanos());
    }
}
