package io.claudemirror.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.anthropic.client.AnthropicClient;
import com.anthropic.client.okhttp.AnthropicOkHttpClient;
import com.anthropic.models.messages.batches.BatchCreateParams;
import com.anthropic.models.messages.batches.MessageBatch;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.claudemirror.config.MirrorConfig.Tenant;
import io.claudemirror.support.MirrorServer;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 12's acceptance: two mirror nodes (Jetty and Tomcat, each with its own runtime) share one real Redis
 * and hold limits, reconciliation, the response cache and ownership together, as one mirror would.
 */
class ClusterAcceptanceTest {
    static final ObjectMapper JSON = new ObjectMapper();
    TwoNodes nodes;

    @AfterEach
    void stop() throws Exception {
        if (nodes != null) {
            nodes.close();
        }
    }

    @Test
    void fortyParallelRequestsSplitAcrossTwoNodesAgainstALimitOfTenAdmitExactlyTen() throws Exception {
        nodes = TwoNodes.start(b -> b.set("tenants[0].limits.requestsPerMinute", 10));
        List<CompletableFuture<HttpResponse<String>>> all = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            MirrorServer node = i % 2 == 0 ? nodes.a : nodes.b;
            all.add(nodes.sendAsync(node, TwoNodes.KEY_A, TwoNodes.messages("question " + i, 16)));
        }
        int ok = 0;
        int limited = 0;
        int okOnA = 0;
        int okOnB = 0;
        for (int i = 0; i < all.size(); i++) {
            HttpResponse<String> r = all.get(i).join();
            if (r.statusCode() == 200) {
                ok++;
                if (i % 2 == 0) {
                    okOnA++;
                } else {
                    okOnB++;
                }
            } else {
                assertThat(r.statusCode()).as(r.body()).isEqualTo(429);
                assertThat(JSON.readTree(r.body()).path("error").path("type").asText()).isEqualTo("rate_limit_error");
                limited++;
            }
        }
        assertThat(ok).as("admitted across both nodes (A %d, B %d; metrics A %s, B %s)", okOnA, okOnB,
                counts(nodes.a), counts(nodes.b)).isEqualTo(10);
        assertThat(limited).isEqualTo(30);
        assertThat(nodes.fake.journal().size()).as("requests that reached the upstream").isEqualTo(10);
        // Each node alone would have admitted 10 (the LiteLLM trap: N replicas, N times the limit).
        assertThat(okOnA).isLessThan(10);
        assertThat(okOnB).isLessThan(10);
    }

    @Test
    void tokenReconciliationOnNodeAIsSeenByNodeB() throws Exception {
        // The daily budget: shared by the nodes, and (unlike the per-minute buckets) no refill before midnight
        // UTC blurs the exact numbers.
        nodes = TwoNodes.start(b -> b.set("tenants[0].limits.tokensPerDay", 100_000));
        Tenant t = nodes.config.tenant("team-a");
        assertThat(TwoNodes.limiter(nodes.b).headroom(t).tokensPerDay().remaining()).isEqualTo(100_000);
        HttpResponse<String> r = nodes.send(nodes.a, TwoNodes.KEY_A, TwoNodes.messages("reconcile me", 4000));
        assertThat(r.statusCode()).isEqualTo(200);
        JsonNode usage = JSON.readTree(r.body()).path("usage");
        long real = usage.path("input_tokens").asLong() + usage.path("output_tokens").asLong();
        assertThat(real).isBetween(1L, 3999L);
        // Settlement runs when A's exchange completes; B reads the shared bucket, never A's memory.
        TwoNodes.await("B to see A's real usage instead of its 4000-token reservation",
                () -> TwoNodes.limiter(nodes.b).headroom(t).tokensPerDay().remaining() == 100_000 - real);
        assertThat(TwoNodes.limiter(nodes.a).headroom(t).tokensPerDay().remaining()).isEqualTo(100_000 - real);
    }

    @Test
    void aResponseCachedThroughNodeAIsAHitOnNodeB() throws Exception {
        nodes = TwoNodes.start(b -> b.set("cache.enabled", true));
        String body = TwoNodes.messages("what is the capital of France?", 64);
        HttpResponse<String> first = nodes.http.send(nodes.request(nodes.a, TwoNodes.KEY_A, "/v1/messages")
                .header("content-type", "application/json").header("x-mirror-cache", "use")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(first.statusCode()).isEqualTo(200);
        assertThat(first.headers().firstValue("x-mirror-cache")).hasValue("MISS");
        TwoNodes.await("the entry written through to Redis", () -> keysMatching(nodes, "cache:*") > 0);
        HttpResponse<String> second = nodes.http.send(nodes.request(nodes.b, TwoNodes.KEY_A, "/v1/messages")
                .header("content-type", "application/json").header("x-mirror-cache", "use")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(second.statusCode()).isEqualTo(200);
        assertThat(second.headers().firstValue("x-mirror-cache")).hasValue("HIT");
        assertThat(JSON.readTree(second.body()).path("content")).isEqualTo(JSON.readTree(first.body()).path("content"));
        assertThat(nodes.fake.journal().size()).as("one upstream call for both nodes").isEqualTo(1);
    }

    @Test
    void aBatchCreatedThroughNodeAIsItsTenantsOnNodeBAndNobodyElsesOnEither() throws Exception {
        nodes = TwoNodes.start(b -> b);
        AnthropicClient a = AnthropicOkHttpClient.builder().baseUrl(nodes.a.baseUrl()).apiKey(TwoNodes.KEY_A)
                .maxRetries(0).build();
        MessageBatch batch = a.messages().batches().create(BatchCreateParams.builder()
                .addRequest(BatchCreateParams.Request.builder().customId("a-1")
                        .params(BatchCreateParams.Request.Params.builder().model(TwoNodes.MODEL).maxTokens(64)
                                .addUserMessage("team a's batched question").build())
                        .build())
                .build());
        AnthropicClient aOnB = AnthropicOkHttpClient.builder().baseUrl(nodes.b.baseUrl()).apiKey(TwoNodes.KEY_A)
                .maxRetries(0).build();
        assertThat(aOnB.messages().batches().retrieve(batch.id()).id()).isEqualTo(batch.id());
        int upstreamCalls = nodes.fake.journal().size();
        for (MirrorServer node : List.of(nodes.a, nodes.b)) {
            HttpResponse<String> r = nodes.http.send(nodes.request(node, TwoNodes.KEY_B,
                    "/v1/messages/batches/" + batch.id()).GET().build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as("team-b on " + node.container()).isEqualTo(404);
            JsonNode error = JSON.readTree(r.body()).path("error");
            assertThat(error.path("type").asText()).isEqualTo("not_found_error");
        }
        assertThat(nodes.fake.journal().size()).as("team-b's attempts never reach the upstream").isEqualTo(upstreamCalls);
    }

    static String counts(MirrorServer node) {
        StringBuilder sb = new StringBuilder();
        TwoNodes.store(node).metrics().getMetrics().forEach((k, v) -> sb.append(k).append('=')
                .append(v instanceof com.codahale.metrics.Counter c ? c.getCount() : ((com.codahale.metrics.Gauge<?>) v).getValue())
                .append(' '));
        return sb.toString();
    }

    static long keysMatching(TwoNodes nodes, String pattern) {
        RedisStore store = TwoNodes.store(nodes.a);
        return store.call(l -> l.sync().keys(store.key(pattern)).size());
    }
}
