package io.claudemirror.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.claudemirror.config.MirrorConfig;
import io.claudemirror.support.Http;
import io.claudemirror.support.MirrorServer;
import io.claudemirror.support.MirrorServer.Container;
import io.claudemirror.testkit.FakeAnthropic;
import io.claudemirror.testkit.RecordedRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** {@code upstreams[].minInterval} spaces requests sent to an upstream, even when clients send them at once. */
class PacingTest {
    @ParameterizedTest
    @EnumSource(Container.class)
    void parallelRequestsReachTheUpstreamAtLeastMinIntervalApart(Container container) throws Exception {
        try (FakeAnthropic fake = FakeAnthropic.start();
             MirrorServer mirror = MirrorServer.start(container, MirrorConfig.builder()
                     .upstream("paced", fake.baseUrl(), "sk-up").set("upstreams[0].minInterval", "200ms")
                     .tenant("t", "plain:k").build())) {
            // Warm the upstream connection first, so a cold connect does not shift the first measured request.
            assertThat(Http.send(Http.post(mirror.baseUrl() + "/v1/messages", "k", Http.messages("warm", false)))
                    .statusCode()).isEqualTo(200);
            // No wait here: the first paced request simply takes the slot after the warm-up's.
            fake.journal().clear();
            List<CompletableFuture<Integer>> all = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                all.add(CompletableFuture.supplyAsync(() -> {
                    try {
                        return Http.send(Http.post(mirror.baseUrl() + "/v1/messages", "k", Http.messages("p", false)))
                                .statusCode();
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }));
            }
            for (CompletableFuture<Integer> f : all) {
                assertThat(f.get()).isEqualTo(200);
            }
            List<RecordedRequest> got = fake.journal().all();
            assertThat(got).hasSize(5);
            List<Long> times = new ArrayList<>();
            got.forEach(r -> times.add(r.receivedAtNanos()));
            times.sort(Long::compare);
            assertThat(times.get(times.size() - 1) - times.get(0)).isGreaterThan(4 * 190_000_000L);
            for (int i = 1; i < times.size(); i++) {
                // 200 ms apart at the sender; allow scheduling jitter at the receiver.
                assertThat(times.get(i) - times.get(i - 1)).isGreaterThan(150_000_000L);
            }
        }
    }

    /**
     * Issue 7, probe 5: clients that leave while their requests wait for a pacing slot are not sent upstream, and
     * their slots go to the next request instead of making it wait behind them.
     */
    @ParameterizedTest
    @EnumSource(Container.class)
    void clientsThatLeftWhilePacedAreNotSentAndGiveTheirSlotsBack(Container container) throws Exception {
        try (FakeAnthropic fake = FakeAnthropic.start();
             MirrorServer mirror = MirrorServer.start(container, MirrorConfig.builder()
                     .upstream("paced", fake.baseUrl(), "sk-up").set("upstreams[0].minInterval", "1s")
                     .tenant("t", "plain:k").build())) {
            assertThat(Http.send(Http.post(mirror.baseUrl() + "/v1/messages", "k", Http.messages("warm", false)))
                    .statusCode()).isEqualTo(200);
            List<io.claudemirror.support.RawClient> leaving = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                leaving.add(io.claudemirror.support.RawClient.postMessages(mirror.port(), "k",
                        Http.messages("left " + i, false).getBytes(java.nio.charset.StandardCharsets.UTF_8)));
            }
            Thread.sleep(200); // they are queued behind the warm-up's slot (setup, not the measurement)
            for (io.claudemirror.support.RawClient c : leaving) {
                c.close();
            }
            Thread.sleep(800); // Tomcat notices within two of its 250 ms probes
            long t0 = System.nanoTime();
            assertThat(Http.send(Http.post(mirror.baseUrl() + "/v1/messages", "k", Http.messages("stayed", false)))
                    .statusCode()).isEqualTo(200);
            long waitedMs = (System.nanoTime() - t0) / 1_000_000;
            assertThat(waitedMs).as("took a returned slot instead of queueing behind five").isLessThan(2_000);
            Thread.sleep(1_500);
            assertThat(fake.journal().all()).extracting(r -> r.bodyText().contains("left")).containsOnly(false);
        }
    }
}
