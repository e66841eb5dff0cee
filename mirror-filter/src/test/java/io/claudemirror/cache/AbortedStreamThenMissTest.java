package io.claudemirror.cache;

import static org.assertj.core.api.Assertions.assertThat;

import io.claudemirror.config.MirrorConfig;
import io.claudemirror.support.Http;
import io.claudemirror.support.MirrorServer;
import io.claudemirror.support.MirrorServer.Container;
import io.claudemirror.support.RawClient;
import io.claudemirror.testkit.FakeAnthropic;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executor;
import org.apache.coyote.ProtocolHandler;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A streamed cache MISS right after a client left an identical stream arrives whole, round after round: the
 * aborted exchange leaves nothing behind on the container's recycled objects that the next request inherits.
 *
 * <p>On Tomcat the failed write of the aborted stream happens on an upstream client thread; Tomcat hands the
 * error to one of its own threads before it records it on the response, and the next request on any connection
 * may get that response object. The test widens the window the way a loaded machine does now and then: the
 * container's executor pauses a thread from outside Tomcat for a moment after taking its task, as if that
 * thread had been preempted right there. Without the mirror waiting for its writer, most rounds are cut.
 */
class AbortedStreamThenMissTest {
    static final String KEY = "sk-cut";
    static final int ROUNDS = 12;
    /** How long a thread from outside Tomcat is held after it handed Tomcat a task (a preemption). */
    static final long PREEMPTION_MILLIS = 50;
    static final String STOP = "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";

    FakeAnthropic fake;
    MirrorServer mirror;
    ExecutorService tomcatExecutor;

    @AfterEach
    void stop() throws Exception {
        if (mirror != null) {
            mirror.close();
        }
        if (tomcatExecutor != null) {
            tomcatExecutor.shutdownNow(); // replaced, so Tomcat no longer stops it itself
        }
        if (fake != null) {
            fake.close();
        }
    }

    @ParameterizedTest
    @EnumSource(Container.class)
    void aMissAfterAnAbortedIdenticalStreamArrivesWhole(Container container) throws Exception {
        // Long enough (50 text deltas) that the aborted stream is still running when the mirror notices.
        fake = FakeAnthropic.start().responseText("a reply long enough to be cut. ".repeat(10));
        mirror = MirrorServer.start(container, MirrorConfig.builder().upstream("primary", fake.baseUrl(), "sk-up")
                .tenant("a", "plain:" + KEY).set("cache.enabled", "true").set("cache.messages", "all")
                .set("audit.dir", "").build());
        if (mirror.tomcat() != null) {
            preemptForeignThreads(mirror.tomcat().getConnector().getProtocolHandler());
        }
        List<String> cut = new ArrayList<>();
        for (int i = 0; i < ROUNDS; i++) {
            String body = Http.messages("round " + i + " of the cut stream", true);
            fake.eventDelay(Duration.ofMillis(20));
            int aborts = fake.clientAborts();
            try (RawClient client = RawClient.postMessages(mirror.port(), KEY, body.getBytes(StandardCharsets.UTF_8))) {
                assertThat(client.readEvents(3)).isEqualTo(3);
            }
            // The mirror noticed and cancelled the upstream call: the next identical request leads a new flight.
            assertThat(fake.awaitClientAborts(aborts + 1, Duration.ofSeconds(5))).as("round %d", i).isTrue();
            fake.eventDelay(Duration.ZERO);
            HttpResponse<String> fresh;
            try {
                fresh = Http.send(Http.post(mirror.baseUrl() + "/v1/messages", KEY, body));
            } catch (IOException e) {
                cut.add("round " + i + ": " + e.getMessage());
                continue;
            }
            assertThat(fresh.headers().firstValue("x-mirror-cache")).as("round %d", i).contains("MISS");
            assertThat(fresh.body()).as("round %d", i).endsWith(STOP);
        }
        assertThat(cut).as("%s: fresh streams cut short", container).isEmpty();
    }

    /**
     * Tomcat's executor, wrapped: a thread that is not Tomcat's (the mirror's upstream client threads) pauses
     * after handing it a task, so whatever it does next happens after Tomcat's thread ran that task.
     */
    void preemptForeignThreads(ProtocolHandler protocol) {
        tomcatExecutor = (ExecutorService) protocol.getExecutor();
        Executor original = tomcatExecutor;
        protocol.setExecutor(task -> {
            original.execute(task);
            if (Thread.currentThread().getName().startsWith("claude-mirror-client")) {
                try {
                    Thread.sleep(PREEMPTION_MILLIS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        });
    }
}
