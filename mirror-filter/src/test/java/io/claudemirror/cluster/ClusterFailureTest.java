package io.claudemirror.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.claudemirror.config.MirrorConfig.Tenant;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What a cluster does when part of it fails: a node that dies holding concurrency permits, and Redis itself
 * going away and coming back, under both failure policies.
 */
class ClusterFailureTest {
    static final ObjectMapper JSON = new ObjectMapper();
    TwoNodes nodes;
    final CountDownLatch release = new CountDownLatch(1);

    @AfterEach
    void stop() throws Exception {
        release.countDown();
        if (nodes != null) {
            nodes.close();
        }
    }

    @Test
    void permitsHeldByANodeThatDiesComeBackWhenTheirLeasesExpire() throws Exception {
        nodes = TwoNodes.startOwnRedis(b -> b.set("tenants[0].limits.maxConcurrent", 2).set("redis.leaseTtl", "1s"));
        Tenant t = nodes.config.tenant("team-a");
        CountDownLatch streaming = new CountDownLatch(2);
        // Hold both streams after their first event: node A holds both permits while they run.
        nodes.fake.eventGate(i -> {
            if (i == 1) {
                streaming.countDown();
                release.await();
            }
        });
        List<CompletableFuture<HttpResponse<String>>> held = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            held.add(nodes.sendAsync(nodes.a, TwoNodes.KEY_A, streamed("long answer " + i)));
        }
        assertThat(streaming.await(20, TimeUnit.SECONDS)).isTrue();
        assertThat(TwoNodes.limiter(nodes.b).inFlight(t)).as("B sees A's permits").isEqualTo(2);
        HttpResponse<String> refused = nodes.send(nodes.b, TwoNodes.KEY_A, TwoNodes.messages("me too", 16));
        assertThat(refused.statusCode()).isEqualTo(429);
        assertThat(JSON.readTree(refused.body()).path("error").path("message").asText()).contains("concurrent");

        // Node A dies: no release, no renewal (its Redis link is cut as a crash would cut it).
        TwoNodes.store(nodes.a).halt();
        long died = System.nanoTime();
        assertThat(TwoNodes.limiter(nodes.b).inFlight(t)).as("the leases outlive the node for a while").isEqualTo(2);
        TwoNodes.await("A's leases to expire", () -> TwoNodes.limiter(nodes.b).inFlight(t) == 0);
        long after = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - died);
        assertThat(after).as("back within about one lease (1s)").isLessThan(3000);
        HttpResponse<String> admitted = nodes.send(nodes.b, TwoNodes.KEY_A, TwoNodes.messages("now", 16));
        assertThat(admitted.statusCode()).isEqualTo(200);
        release.countDown();
    }

    @Test
    void underFailOpenRequestsKeepSucceedingWhileRedisIsDownAndSharedLimitsResumeWhenItReturns() throws Exception {
        nodes = TwoNodes.startOwnRedis(b -> b.set("tenants[0].limits.requestsPerMinute", 6));
        assertThat(TwoNodes.redisUp(nodes.a)).isEqualTo(1);
        nodes.redis.stop();
        for (int i = 0; i < 2; i++) {
            assertThat(nodes.send(nodes.a, TwoNodes.KEY_A, TwoNodes.messages("during " + i, 16)).statusCode()).isEqualTo(200);
            assertThat(nodes.send(nodes.b, TwoNodes.KEY_A, TwoNodes.messages("during " + i, 16)).statusCode()).isEqualTo(200);
        }
        assertThat(TwoNodes.redisUp(nodes.a)).isEqualTo(0);
        TwoNodes.await("B to notice too", () -> Integer.valueOf(0).equals(TwoNodes.redisUp(nodes.b)));
        assertThat(TwoNodes.store(nodes.a).metrics().getMetrics().get("redis.fallback.admissions"))
                .satisfies(c -> assertThat(((com.codahale.metrics.Counter) c).getCount()).isEqualTo(2));

        nodes.redis.restart();
        TwoNodes.await("A back on Redis", () -> Integer.valueOf(1).equals(TwoNodes.redisUp(nodes.a)));
        TwoNodes.await("B back on Redis", () -> Integer.valueOf(1).equals(TwoNodes.redisUp(nodes.b)));
        // Redis came back empty: one shared budget of 6 for both nodes. Each node's local buckets still have 4
        // left, so per-node limits would admit all 8.
        int ok = 0;
        for (int i = 0; i < 4; i++) {
            ok += nodes.send(nodes.a, TwoNodes.KEY_A, TwoNodes.messages("after a" + i, 16)).statusCode() == 200 ? 1 : 0;
            ok += nodes.send(nodes.b, TwoNodes.KEY_A, TwoNodes.messages("after b" + i, 16)).statusCode() == 200 ? 1 : 0;
        }
        assertThat(ok).isEqualTo(6);
    }

    @Test
    void underFailClosedLimitedRequestsAreRefusedWhileRedisIsDown() throws Exception {
        nodes = TwoNodes.startOwnRedis(b -> b.set("tenants[0].limits.requestsPerMinute", 100)
                .set("redis.failurePolicy", "closed"));
        assertThat(nodes.send(nodes.b, TwoNodes.KEY_A, TwoNodes.messages("before", 16)).statusCode()).isEqualTo(200);
        nodes.redis.stop();
        for (var node : List.of(nodes.a, nodes.b)) {
            HttpResponse<String> r = nodes.send(node, TwoNodes.KEY_A, TwoNodes.messages("during", 16));
            assertThat(r.statusCode()).as(node.container().name()).isEqualTo(429);
            assertThat(r.headers().firstValue("retry-after")).hasValue("1");
            assertThat(JSON.readTree(r.body()).path("error").path("message").asText()).contains("cannot be checked");
            assertThat(TwoNodes.redisUp(node)).isEqualTo(0);
        }
        nodes.redis.restart();
        TwoNodes.await("A back on Redis", () -> Integer.valueOf(1).equals(TwoNodes.redisUp(nodes.a)));
        assertThat(nodes.send(nodes.a, TwoNodes.KEY_A, TwoNodes.messages("after", 16)).statusCode()).isEqualTo(200);
    }

    @Test
    void ownershipChecksFailClosedWhileRedisIsDown() throws Exception {
        nodes = TwoNodes.startOwnRedis(b -> b);
        nodes.redis.stop();
        HttpResponse<String> r = nodes.http.send(nodes.request(nodes.b, TwoNodes.KEY_A,
                "/v1/messages/batches/msgbatch_0123456789").GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(503);
        assertThat(JSON.readTree(r.body()).path("error").path("type").asText()).isEqualTo("api_error");
        assertThat(nodes.fake.journal().size()).isZero();
    }

    static String streamed(String text) {
        return "{\"model\":\"" + TwoNodes.MODEL + "\",\"max_tokens\":64,\"stream\":true,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"" + text + "\"}]}";
    }
}
