package io.claudemirror.routing;

import static org.assertj.core.api.Assertions.assertThat;

import io.claudemirror.config.MirrorConfigBuilder;
import io.claudemirror.config.MirrorConfig;
import io.claudemirror.support.Http;
import io.claudemirror.support.MirrorServer;
import io.claudemirror.support.MirrorServer.Container;
import io.claudemirror.testkit.FakeAnthropic;
import io.claudemirror.testkit.Fault;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Routing across several fake upstreams on loopback, faults injected, through the real proxy. */
class RoutingIntegrationTest {
    private static final String KEY = "k";
    private final List<AutoCloseable> open = new ArrayList<>();
    private MirrorServer mirror;

    @AfterEach
    void stop() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
    }

    private FakeAnthropic fake() {
        FakeAnthropic f = FakeAnthropic.start();
        open.add(f);
        return f;
    }

    private void start(Container container, MirrorConfigBuilder builder) throws Exception {
        // The tests read /health details from loopback.
        mirror = MirrorServer.start(container, builder.tenant("t", "plain:" + KEY).set("admin.trustLoopback", true).build());
        open.add(mirror);
    }

    private static int closedPort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private HttpResponse<String> ask(String text) throws Exception {
        return Http.send(Http.post(mirror.baseUrl() + "/v1/messages", KEY, Http.messages(text, false)));
    }

    private HttpResponse<String> turn(String session, String text) throws Exception {
        return Http.send(Http.post(mirror.baseUrl() + "/v1/messages", KEY, Http.messages(text, false))
                .header(StickyKey.SESSION_HEADER, session));
    }

    private List<String> stream(String text) throws Exception {
        return Http.lines(Http.post(mirror.baseUrl() + "/v1/messages", KEY, Http.messages(text, true)))
                .body().collect(Collectors.toList());
    }

    private String health() throws Exception {
        return Http.send(HttpRequest.newBuilder(URI.create(mirror.baseUrl() + "/health"))).body();
    }

    private static void assertCleanStream(List<String> lines) {
        assertThat(lines).containsOnlyOnce("event: message_start").containsOnlyOnce("event: message_stop")
                .doesNotContain("event: error");
    }

    @ParameterizedTest
    @EnumSource(Container.class)
    void aPrimaryThatRefusesAnswers529OrHangsIsReplacedByTheNextUpstream(Container container) throws Exception {
        FakeAnthropic overloaded = fake();
        FakeAnthropic hung = fake();
        FakeAnthropic good = fake();
        overloaded.setDefaultFault(Fault.status(529, "overloaded_error", "Overloaded"));
        hung.setDefaultFault(Fault.hang());
        start(container, MirrorConfig.builder()
                .upstream("refused", "http://127.0.0.1:" + closedPort(), "sk-a")
                .upstream("overloaded", overloaded.baseUrl(), "sk-b")
                .upstream("hung", hung.baseUrl(), "sk-c")
                .upstream("good", good.baseUrl(), "sk-d").set("upstreams[3].backup", "true")
                .set("failover.maxAttempts", "4").set("failover.firstByteTimeout", "500ms")
                .set("routing.sticky.enabled", "false"));
        // Three primaries that all fail, in whatever order the chooser takes them; the backup answers last.
        assertCleanStream(stream("hello"));
        assertThat(overloaded.journal().size()).isEqualTo(1);
        assertThat(hung.journal().size()).isEqualTo(1);
        assertThat(good.journal().size()).isEqualTo(1);
        assertThat(good.journal().last().header("x-api-key")).isEqualTo("sk-d");
        UpstreamPool pool = mirror.runtime().upstreams();
        assertThat(pool.get(0).lastFailure()).isEqualTo("connect failure");
        assertThat(pool.get(1).lastFailure()).isEqualTo("status 529");
        assertThat(pool.get(2).lastFailure()).isEqualTo("first byte timeout");
        assertThat(hung.awaitClientAbort(Duration.ofSeconds(5))).as("the hung attempt was abandoned").isTrue();
        // Next request: the same faults (no breaker has opened yet), the same clean outcome.
        assertCleanStream(stream("again"));
        assertThat(good.journal().size()).isEqualTo(2);
    }

    @ParameterizedTest
    @EnumSource(Container.class)
    void aMidStreamFailureIsNotRetried(Container container) throws Exception {
        FakeAnthropic primary = fake();
        FakeAnthropic backup = fake();
        primary.enqueue(Fault.dropMidStream(3));
        start(container, MirrorConfig.builder().upstream("primary", primary.baseUrl(), "sk-a")
                .upstream("backup", backup.baseUrl(), "sk-b").set("upstreams[1].backup", "true"));
        List<String> lines = stream("cut short");
        assertThat(lines).contains("event: message_start", "event: error").doesNotContain("event: message_stop");
        assertThat(backup.journal().size()).isZero();
    }

    @ParameterizedTest
    @EnumSource(Container.class)
    void anUpstream429WithRetryAfterPausesItWhileTheOthersServe(Container container) throws Exception {
        FakeAnthropic a = fake();
        FakeAnthropic b = fake();
        a.enqueue(Fault.status(429, "rate_limit_error", "Number of requests has exceeded your rate limit")
                .retryAfter("5"));
        start(container, MirrorConfig.builder().upstream("a", a.baseUrl(), "sk-a").upstream("b", b.baseUrl(), "sk-b"));
        // Until the chooser has sent one to a, every request still succeeds (the 429 fails over to b).
        for (int i = 0; a.journal().size() == 0; i++) {
            assertThat(i).as("a never chosen").isLessThan(200);
            assertThat(ask("q" + i).statusCode()).isEqualTo(200);
        }
        UpstreamState state = mirror.runtime().upstreams().get(0);
        assertThat(state.paused()).isTrue();
        assertThat(state.healthy()).as("quota is not ill health").isTrue();
        assertThat(state.pausedUntilMillis() - System.currentTimeMillis()).isBetween(3_000L, 5_100L);
        int before = b.journal().size();
        for (int i = 0; i < 20; i++) {
            assertThat(ask("paused " + i).statusCode()).isEqualTo(200);
        }
        assertThat(a.journal().size()).isEqualTo(1);
        assertThat(b.journal().size()).isEqualTo(before + 20);
        assertThat(health()).startsWith("{\"status\":\"ok\"").contains("\"paused\":true");
    }

    @Test
    void aSlowUpstreamGetsUnderAFifthOfTheTrafficAfterWarmUp() throws Exception {
        FakeAnthropic fast = fake();
        FakeAnthropic slow = fake();
        slow.setDefaultFault(Fault.delay(Duration.ofMillis(200)));
        start(Container.JETTY, MirrorConfig.builder().upstream("fast", fast.baseUrl(), "sk-a")
                .upstream("slow", slow.baseUrl(), "sk-b"));
        for (int i = 0; i < 10; i++) {
            assertThat(ask("warm " + i).statusCode()).isEqualTo(200);
        }
        int slowBefore = slow.journal().size();
        for (int i = 0; i < 50; i++) {
            assertThat(ask("measured " + i).statusCode()).isEqualTo(200);
        }
        assertThat(slow.journal().size() - slowBefore).as("slow share of 50").isLessThan(10);
        assertThat(mirror.runtime().upstreams().get(1).latencyEwmaMillis()).isGreaterThan(100);
    }

    @Test
    void aFailedUpstreamComesBackAfterItsCooldown() throws Exception {
        FakeAnthropic a = fake();
        FakeAnthropic b = fake();
        a.setDefaultFault(Fault.status(529, "overloaded_error", "Overloaded"));
        start(Container.JETTY, MirrorConfig.builder().upstream("a", a.baseUrl(), "sk-a").upstream("b", b.baseUrl(), "sk-b")
                .set("routing.breaker.consecutiveFailures", "1").set("routing.breaker.cooldown", "1s"));
        for (int i = 0; a.journal().size() == 0; i++) {
            assertThat(i).isLessThan(200);
            assertThat(ask("q" + i).statusCode()).isEqualTo(200);
        }
        UpstreamState state = mirror.runtime().upstreams().get(0);
        assertThat(state.breakerState()).isEqualTo(CircuitBreaker.State.OPEN);
        a.setDefaultFault(null);
        for (int i = 0; i < 10; i++) {
            assertThat(ask("open " + i).statusCode()).isEqualTo(200);
        }
        assertThat(a.journal().size()).as("no traffic while open").isEqualTo(1);
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        // Each question its own conversation: a sticky one would rightly stay on b.
        for (int i = 0; a.journal().size() == 1; i++) {
            assertThat(System.nanoTime()).as("a back within 10 s").isLessThan(deadline);
            assertThat(ask("later " + i).statusCode()).isEqualTo(200);
        }
        assertThat(state.breakerState()).isEqualTo(CircuitBreaker.State.CLOSED);
    }

    @Test
    void backupsTakeTrafficOnlyWhenEveryPrimaryIsOpen() throws Exception {
        FakeAnthropic p1 = fake();
        FakeAnthropic p2 = fake();
        FakeAnthropic spare = fake();
        start(Container.JETTY, MirrorConfig.builder().upstream("p1", p1.baseUrl(), "sk-a")
                .upstream("p2", p2.baseUrl(), "sk-b").upstream("spare", spare.baseUrl(), "sk-c")
                .set("upstreams[2].backup", "true").set("routing.breaker.consecutiveFailures", "1")
                .set("routing.breaker.cooldown", "1m")
                // About backups, not latency: a primary that answered slowly once (a GC pause on this busy box)
                // must not be left out for long, so its latency score decays fast here.
                .set("routing.latencyDecay", "100ms"));
        for (int i = 0; i < 20; i++) {
            assertThat(ask("q" + i).statusCode()).isEqualTo(200);
        }
        assertThat(spare.journal().size()).isZero();
        p1.setDefaultFault(Fault.status(529, "overloaded_error", "Overloaded"));
        int p1Before = p1.journal().size();
        for (int i = 0; p1.journal().size() == p1Before; i++) {
            assertThat(i).as("p1 never chosen").isLessThan(200);
            // p2 still healthy: a 529 from p1 fails over to p2, never to the backup.
            assertThat(ask("one down " + i).statusCode()).isEqualTo(200);
        }
        assertThat(mirror.runtime().upstreams().get(0).breakerState()).isEqualTo(CircuitBreaker.State.OPEN);
        for (int i = 0; i < 10; i++) {
            assertThat(ask("p2 alone " + i).statusCode()).isEqualTo(200);
        }
        assertThat(spare.journal().size()).as("one primary open, the other serves").isZero();
        p2.setDefaultFault(Fault.status(529, "overloaded_error", "Overloaded"));
        assertThat(ask("both down").statusCode()).isEqualTo(200);
        int p1Seen = p1.journal().size();
        int p2Seen = p2.journal().size();
        for (int i = 0; i < 10; i++) {
            assertThat(ask("spare " + i).statusCode()).isEqualTo(200);
        }
        assertThat(spare.journal().size()).isEqualTo(11);
        assertThat(p1.journal().size()).isEqualTo(p1Seen);
        assertThat(p2.journal().size()).isEqualTo(p2Seen);
    }

    @Test
    void aConversationKeepsItsUpstreamAndAfterAFailureMovesAndStays() throws Exception {
        List<FakeAnthropic> fakes = List.of(fake(), fake(), fake());
        MirrorConfigBuilder builder = MirrorConfig.builder();
        for (int i = 0; i < 3; i++) {
            builder.upstream("u" + i, fakes.get(i).baseUrl(), "sk-" + i);
        }
        start(Container.JETTY, builder.set("routing.breaker.consecutiveFailures", "1").set("routing.breaker.cooldown", "1m"));
        for (int i = 0; i < 20; i++) {
            assertThat(turn("conversation-1", "turn " + i).statusCode()).isEqualTo(200);
        }
        int home = -1;
        for (int i = 0; i < 3; i++) {
            if (fakes.get(i).journal().size() > 0) {
                assertThat(fakes.get(i).journal().size()).as("all 20 turns on one upstream").isEqualTo(20);
                home = i;
            }
        }
        fakes.get(home).setDefaultFault(Fault.status(529, "overloaded_error", "Overloaded"));
        assertThat(turn("conversation-1", "turn 20").statusCode()).isEqualTo(200);
        fakes.get(home).setDefaultFault(null);
        int[] before = new int[3];
        for (int i = 0; i < 3; i++) {
            before[i] = fakes.get(i).journal().size();
        }
        for (int i = 21; i < 41; i++) {
            assertThat(turn("conversation-1", "turn " + i).statusCode()).isEqualTo(200);
        }
        int moved = 0;
        for (int i = 0; i < 3; i++) {
            int got = fakes.get(i).journal().size() - before[i];
            assertThat(got).as("upstream %d", i).isIn(0, 20);
            moved += got == 20 && i != home ? 1 : 0;
        }
        assertThat(moved).as("the 20 later turns all went to one new upstream").isEqualTo(1);
    }
}
