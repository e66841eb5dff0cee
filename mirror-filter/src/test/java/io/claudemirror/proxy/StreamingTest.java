package io.claudemirror.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.claudemirror.config.MirrorConfig;
import io.claudemirror.support.Http;
import io.claudemirror.support.MirrorServer;
import io.claudemirror.support.RawClient;
import io.claudemirror.support.MirrorServer.Container;
import io.claudemirror.testkit.FakeAnthropic;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** SSE passes event by event, and a client that leaves stops the upstream work. */
class StreamingTest {
    static final String KEY = "sk-stream-test";
    FakeAnthropic fake;
    MirrorServer mirror;

    void start(Container container) throws Exception {
        fake = FakeAnthropic.start();
        mirror = MirrorServer.start(container, MirrorConfig.builder().upstream("primary", fake.baseUrl(), "sk-up")
                .tenant("t", "plain:" + KEY).build());
    }

    @AfterEach
    void stop() throws Exception {
        if (mirror != null) {
            mirror.close();
        }
        if (fake != null) {
            fake.close();
        }
    }

    /**
     * The fake sends event N+1 only after the client has read event N (or gives up after 5 s and records that it
     * had to). A proxy that buffers makes every gate time out.
     */
    @ParameterizedTest
    @EnumSource(Container.class)
    void clientHasEventNBeforeTheFakeSendsEventNPlusOne(Container container) throws Exception {
        start(container);
        int maxEvents = 64;
        CountDownLatch[] received = new CountDownLatch[maxEvents];
        for (int i = 0; i < maxEvents; i++) {
            received[i] = new CountDownLatch(1);
        }
        List<Integer> gatesThatTimedOut = new CopyOnWriteArrayList<>();
        fake.eventGate(i -> {
            if (i > 0 && i < maxEvents && !received[i - 1].await(5, TimeUnit.SECONDS)) {
                gatesThatTimedOut.add(i);
            }
        });
        HttpResponse<Stream<String>> response = Http.lines(Http.post(mirror.baseUrl() + "/v1/messages", KEY,
                Http.messages("one two three four five six seven", true)));
        assertThat(response.statusCode()).isEqualTo(200);
        int events = 0;
        Iterator<String> lines = response.body().iterator();
        while (lines.hasNext()) {
            String line = lines.next();
            if (line.isEmpty()) {
                received[events++].countDown();
            }
        }
        assertThat(events).isGreaterThan(8);
        assertThat(gatesThatTimedOut).as("events the client did not get before the next was due").isEmpty();
    }

    @ParameterizedTest
    @EnumSource(Container.class)
    void clientDisconnectMidStreamClosesTheUpstreamWithinTwoSeconds(Container container) throws Exception {
        start(container);
        fake.eventDelay(Duration.ofMillis(100));
        String body = Http.messages("x".repeat(600), true);
        try (RawClient client = RawClient.postMessages(mirror.port(), KEY, body.getBytes(StandardCharsets.UTF_8))) {
            assertThat(client.readEvents(3)).isEqualTo(3);
        }
        long closedAt = System.nanoTime();
        assertThat(fake.awaitClientAbort(Duration.ofSeconds(2))).as("fake saw its stream aborted").isTrue();
        assertThat(Duration.ofNanos(System.nanoTime() - closedAt)).isLessThan(Duration.ofSeconds(2));
    }
}
