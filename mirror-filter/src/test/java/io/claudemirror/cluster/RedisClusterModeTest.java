package io.claudemirror.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.claudemirror.config.MirrorConfig.Tenant;
import io.claudemirror.ratelimit.Admission;
import io.claudemirror.support.MirrorServer;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The same guarantees on a real Redis Cluster (three primaries, slots spread over them) through a
 * {@code redis-cluster://} URI: Bucket4j over Lettuce's cluster connection, the lease script on a tenant's
 * hash-tagged key, ownership and cache keys wherever their slots live.
 */
class RedisClusterModeTest {
    TwoNodes nodes;

    @AfterEach
    void stop() throws Exception {
        if (nodes != null) {
            nodes.close();
        }
    }

    @Test
    void limitsPermitsCacheAndOwnershipHoldAcrossNodesOnARedisCluster() throws Exception {
        nodes = TwoNodes.startOnRedisCluster(b -> b.set("tenants[0].limits.requestsPerMinute", 10)
                .set("tenants[1].limits.maxConcurrent", 3).set("tenants[1].limits.tokensPerDay", 100_000)
                .set("cache.enabled", true));
        List<CompletableFuture<HttpResponse<String>>> all = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            all.add(nodes.sendAsync(i % 2 == 0 ? nodes.a : nodes.b, TwoNodes.KEY_A, TwoNodes.messages("q" + i, 16)));
        }
        long ok = all.stream().map(CompletableFuture::join).filter(r -> r.statusCode() == 200).count();
        assertThat(ok).as("requestsPerMinute 10 across both nodes").isEqualTo(10);

        Tenant b = nodes.config.tenant("team-b");
        Admission onA = TwoNodes.limiter(nodes.a).admit(b, 100, 900, true);
        assertThat(onA.granted()).isTrue();
        assertThat(onA.holdsPermit()).isTrue();
        assertThat(TwoNodes.limiter(nodes.b).inFlight(b)).as("A's lease, seen from B").isEqualTo(1);
        assertThat(TwoNodes.limiter(nodes.b).headroom(b).tokensPerDay().remaining()).isEqualTo(100_000 - 1000);

        String body = TwoNodes.messages("cached across a redis cluster", 32);
        HttpResponse<String> miss = nodes.http.send(cachePost(nodes.a, TwoNodes.KEY_B, body), HttpResponse.BodyHandlers.ofString());
        assertThat(miss.headers().firstValue("x-mirror-cache")).hasValue("MISS");
        RedisStore store = TwoNodes.store(nodes.a);
        TwoNodes.await("the entry in Redis", () -> !store.call(l -> l.sync().keys(store.key("cache:*"))).isEmpty());
        HttpResponse<String> hit = nodes.http.send(cachePost(nodes.b, TwoNodes.KEY_B, body), HttpResponse.BodyHandlers.ofString());
        assertThat(hit.headers().firstValue("x-mirror-cache")).hasValue("HIT");

        RedisOwnershipIndex index = new RedisOwnershipIndex(store, java.time.Clock.systemUTC());
        index.record("team-a", "batch", "msgbatch_cluster_1", null);
        index.record("team-b", "file", "file_cluster_2", null);
        assertThat(index.owner("batch", "msgbatch_cluster_1")).isEqualTo("team-a");
        assertThat(index.list()).extracting(e -> e.id()).contains("msgbatch_cluster_1", "file_cluster_2");
    }

    HttpRequest cachePost(MirrorServer node, String key, String body) {
        return nodes.request(node, key, "/v1/messages").header("content-type", "application/json")
                .header("x-mirror-cache", "use").POST(HttpRequest.BodyPublishers.ofString(body)).build();
    }
}
