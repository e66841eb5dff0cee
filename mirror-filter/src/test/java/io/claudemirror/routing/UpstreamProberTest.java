package io.claudemirror.routing;

import static org.assertj.core.api.Assertions.assertThat;

import io.claudemirror.config.MirrorConfig.Routing;
import io.claudemirror.config.MirrorConfig.Upstream;
import io.claudemirror.testkit.FakeAnthropic;
import io.claudemirror.testkit.Fault;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.client.HttpClient;
import org.junit.jupiter.api.Test;

/** Active probes over a real Jetty client against the fake upstream. */
class UpstreamProberTest {
    private static final Routing ROUTING = new Routing(1, 0, 1, Duration.ofSeconds(30), Duration.ofMinutes(1),
            Duration.ofMinutes(5), Duration.ofSeconds(1), Duration.ofSeconds(2), true, Duration.ofHours(1), 100,
            Duration.ofSeconds(10), Duration.ofSeconds(30));

    @Test
    void probesOpenADeadUpstreamCloseARecoveredOneAndPauseASpentOne() throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        HttpClient client = new HttpClient();
        client.start();
        try (FakeAnthropic fake = FakeAnthropic.start().requireApiKey("sk-live")) {
            UpstreamPool pool = new UpstreamPool(List.of(
                    new Upstream("live", URI.create(fake.baseUrl()), "sk-live", 1, false, Duration.ZERO),
                    new Upstream("dead", URI.create("http://127.0.0.1:" + closedPort), "sk-x", 1, false, Duration.ZERO)),
                    ROUTING, System::nanoTime, Clock.systemUTC(), ThreadLocalRandom.current());
            pool.onFailure(0, UpstreamOutcome.RETRYABLE);
            assertThat(pool.get(0).breakerState()).isEqualTo(CircuitBreaker.State.OPEN);
            UpstreamProber prober = new UpstreamProber(pool, new JettyProbeTransport(client));
            prober.probeAll().get(10, TimeUnit.SECONDS);
            assertThat(pool.get(0).breakerState()).as("recovered through the probe").isEqualTo(CircuitBreaker.State.CLOSED);
            assertThat(pool.get(1).breakerState()).isEqualTo(CircuitBreaker.State.OPEN);
            assertThat(pool.get(1).lastFailure()).isEqualTo("probe: connect failure");
            assertThat(fake.journal().last().path()).isEqualTo("/v1/models");
            assertThat(fake.journal().last().header("x-api-key")).isEqualTo("sk-live");

            fake.enqueue(Fault.status(429, "rate_limit_error", "Number of requests has exceeded your rate limit")
                    .retryAfter("5"));
            prober.probe(0).get(10, TimeUnit.SECONDS);
            assertThat(pool.get(0).paused()).isTrue();
            assertThat(pool.get(0).healthy()).isTrue();
        } finally {
            client.stop();
        }
    }

    @Test
    void probingIsOffUnlessAnIntervalIsSet() {
        UpstreamPool pool = new UpstreamPool(List.of(
                new Upstream("a", URI.create("http://a.example"), "k", 1, false, Duration.ZERO)));
        try (UpstreamProber off = new UpstreamProber(pool, (u, t) -> {
            throw new AssertionError("no probe expected");
        })) {
            assertThat(off.start()).isFalse();
        }
    }
}
