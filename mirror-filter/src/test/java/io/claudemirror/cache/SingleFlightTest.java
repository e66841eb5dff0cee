package io.claudemirror.cache;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.claudemirror.config.MirrorConfig;
import io.claudemirror.support.Http;
import io.claudemirror.support.MirrorServer;
import io.claudemirror.support.MirrorServer.Container;
import io.claudemirror.support.RawClient;
import io.claudemirror.testkit.FakeAnthropic;
import io.claudemirror.testkit.Fault;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Identical requests in flight share one upstream call. The fake's event gate holds the leader's stream at a
 * chosen event until the followers have joined (read from the mirror's flight) and, for streaming followers,
 * until each has received its first event, so "live, not after the end" is observed, not assumed.
 */
class SingleFlightTest {
    static final String KEY = "sk-flight";
    static final String TEXT = "one answer for twenty requests";
    static final ObjectMapper JSON = new ObjectMapper();

    FakeAnthropic fake;
    MirrorServer mirror;
    final ExecutorService pool = Executors.newFixedThreadPool(24);

    void start(Container container) throws Exception {
        fake = FakeAnthropic.start();
        mirror = MirrorServer.start(container, MirrorConfig.builder().upstream("primary", fake.baseUrl(), "sk-up")
                .tenant("a", "plain:" + KEY).set("cache.enabled", "true").set("cache.messages", "all").build());
    }

    @AfterEach
    void stop() throws Exception {
        pool.shutdownNow();
        if (mirror != null) {
            mirror.close();
        }
        if (fake != null) {
            fake.close();
        }
    }

    /** The flight for {@link #TEXT}, computed the way the filter keys it. */
    Flight flight() {
        byte[] body = Http.messages(TEXT, true).getBytes(StandardCharsets.UTF_8);
        String key = CacheKey.of("t:a", "POST", "/v1/messages", null, "2023-06-01", "", body, body.length);
        Flights flights = mirror.runtime().serviceIfPresent(Flights.class);
        return flights == null ? null : flights.get(key);
    }

    boolean awaitFollowers(int n) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            Flight f = flight();
            if (f != null && f.followers() >= n) {
                return true;
            }
            Thread.sleep(5); // polling a condition the mirror exposes no latch for
        }
        return false;
    }

    CompletableFuture<String> stream(CountDownLatch firstEvent) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                HttpResponse<java.util.stream.Stream<String>> r = Http.lines(
                        Http.post(mirror.baseUrl() + "/v1/messages", KEY, Http.messages(TEXT, true)));
                StringBuilder sb = new StringBuilder();
                r.body().forEach(line -> {
                    if (line.startsWith("event:") && firstEvent != null) {
                        firstEvent.countDown();
                    }
                    sb.append(line).append('\n');
                });
                return r.statusCode() + " " + r.headers().firstValue("x-mirror-cache").orElse("-") + "\n" + sb;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }, pool);
    }

    CompletableFuture<HttpResponse<String>> json() {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return Http.send(Http.post(mirror.baseUrl() + "/v1/messages", KEY, Http.messages(TEXT, false)));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }, pool);
    }

    static String streamedText(String response) {
        String body = response.substring(response.indexOf('\n') + 1);
        StringBuilder text = new StringBuilder();
        for (SseEvents.Event e : SseEvents.parse(body.getBytes(StandardCharsets.UTF_8))) {
            if ("content_block_delta".equals(e.name())) {
                try {
                    text.append(JSON.readTree(e.data()).at("/delta/text").asText());
                } catch (Exception x) {
                    throw new AssertionError(x);
                }
            }
        }
        return text.toString();
    }

    @ParameterizedTest
    @EnumSource(Container.class)
    void twentyIdenticalRequestsMakeOneUpstreamCallAndStreamingFollowersGetEventsLive(Container container)
            throws Exception {
        start(container);
        CountDownLatch followersStreaming = new CountDownLatch(9);
        List<String> gateProblems = new CopyOnWriteArrayList<>();
        fake.eventGate(i -> {
            if (i == 2) {
                // The leader's stream is held after message_start and the first block start.
                if (!awaitFollowers(19)) {
                    gateProblems.add("followers did not join");
                }
                if (!followersStreaming.await(10, TimeUnit.SECONDS)) {
                    gateProblems.add("streaming followers had no event before the leader's stream went on");
                }
            }
        });
        CompletableFuture<String> leader = stream(null);
        fake.journal().await(1, java.time.Duration.ofSeconds(10));
        List<CompletableFuture<String>> streams = new ArrayList<>();
        List<CompletableFuture<HttpResponse<String>>> jsons = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            jsons.add(json());
            if (i < 9) {
                streams.add(stream(followersStreaming));
            }
        }
        String leaderResponse = leader.get(30, TimeUnit.SECONDS);
        assertThat(leaderResponse).startsWith("200 MISS");
        assertThat(streamedText(leaderResponse)).isEqualTo(TEXT);
        for (CompletableFuture<String> s : streams) {
            String r = s.get(30, TimeUnit.SECONDS);
            assertThat(r).startsWith("200 HIT");
            assertThat(streamedText(r)).isEqualTo(TEXT);
            assertThat(r).endsWith("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n");
        }
        for (CompletableFuture<HttpResponse<String>> j : jsons) {
            HttpResponse<String> r = j.get(30, TimeUnit.SECONDS);
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(JSON.readTree(r.body()).at("/content/0/text").asText()).isEqualTo(TEXT);
        }
        assertThat(gateProblems).isEmpty();
        assertThat(fake.journal().size()).isEqualTo(1);
    }

    /**
     * Streaming followers that join before the leader's answer has even begun (the upstream is slow to send its
     * headers) are woken when it begins, and get its events live, not after the end.
     */
    @ParameterizedTest
    @EnumSource(Container.class)
    void streamingFollowersThatJoinBeforeTheAnswerBeginsGetItLive(Container container) throws Exception {
        start(container);
        fake.enqueue(io.claudemirror.testkit.Fault.delay(java.time.Duration.ofMillis(1500)));
        CountDownLatch followersStreaming = new CountDownLatch(3);
        List<String> gateProblems = new CopyOnWriteArrayList<>();
        fake.eventGate(i -> {
            if (i == 2 && !followersStreaming.await(10, TimeUnit.SECONDS)) {
                gateProblems.add("streaming followers had no event before the leader's stream went on");
            }
        });
        CompletableFuture<String> leader = stream(null);
        fake.journal().await(1, java.time.Duration.ofSeconds(10));
        List<CompletableFuture<String>> streams = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            streams.add(stream(followersStreaming));
        }
        assertThat(awaitFollowers(3)).as("joined while the upstream still held its headers").isTrue();
        assertThat(leader.get(30, TimeUnit.SECONDS)).startsWith("200 MISS");
        for (CompletableFuture<String> f : streams) {
            assertThat(streamedText(f.get(30, TimeUnit.SECONDS))).isEqualTo(TEXT);
        }
        assertThat(gateProblems).isEmpty();
        assertThat(fake.journal().size()).isEqualTo(1);
    }

    @ParameterizedTest
    @EnumSource(Container.class)
    void whenTheLeaderFailsOrLeavesAFollowerGoesUpstreamForTheOthers(Container container) throws Exception {
        start(container);
        AtomicBoolean firstFlight = new AtomicBoolean(true);
        CountDownLatch leaderGone = new CountDownLatch(1);
        fake.eventGate(i -> {
            if (i == 2 && firstFlight.getAndSet(false)) {
                awaitFollowers(5);
                leaderGone.await(10, TimeUnit.SECONDS);
            }
        });
        RawClient leader = RawClient.postMessages(mirror.port(), KEY,
                Http.messages(TEXT, true).getBytes(StandardCharsets.UTF_8));
        assertThat(leader.readEvents(1)).isEqualTo(1);
        List<CompletableFuture<HttpResponse<String>>> followers = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            followers.add(json());
        }
        assertThat(awaitFollowers(5)).isTrue();
        leader.close();
        leaderGone.countDown();
        for (CompletableFuture<HttpResponse<String>> f : followers) {
            HttpResponse<String> r = f.get(30, TimeUnit.SECONDS);
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(JSON.readTree(r.body()).at("/content/0/text").asText()).isEqualTo(TEXT);
        }
        assertThat(fake.journal().size()).as("the leader's call and one follower's").isEqualTo(2);

        // A failing upstream answer (after the stream started) frees the waiting followers the same way.
        fake.journal().clear();
        String other = "a second question";
        fake.enqueue(Fault.midStreamError(3, "overloaded_error"));
        CompletableFuture<String> failing = CompletableFuture.supplyAsync(() -> {
            try {
                return Http.send(Http.post(mirror.baseUrl() + "/v1/messages", KEY, Http.messages(other, true))).body();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }, pool);
        assertThat(failing.get(30, TimeUnit.SECONDS)).contains("event: error");
        HttpResponse<String> after = Http.send(Http.post(mirror.baseUrl() + "/v1/messages", KEY,
                Http.messages(other, false)));
        assertThat(after.headers().firstValue("x-mirror-cache")).contains("MISS");
        assertThat(JSON.readTree(after.body()).at("/content/0/text").asText()).isEqualTo(other);
    }
}
