package io.claudemirror.cluster;

import io.claudemirror.config.MirrorConfig;
import io.claudemirror.config.MirrorConfigBuilder;
import io.claudemirror.metrics.MirrorMetrics;
import io.claudemirror.ratelimit.TenantLimiter;
import io.claudemirror.support.MirrorServer;
import io.claudemirror.support.MirrorServer.Container;
import io.claudemirror.testkit.FakeAnthropic;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;
import java.util.function.UnaryOperator;

/**
 * Two mirror nodes sharing one real Redis, as behind a load balancer: node A on Jetty, node B on Tomcat, each
 * its own runtime, limiter, cache and ownership view, one fake upstream behind both.
 */
final class TwoNodes implements AutoCloseable {
    static final String MODEL = "claude-sonnet-4-5-20250929";
    static final String KEY_A = "sk-mirror-team-a";
    static final String KEY_B = "sk-mirror-team-b";

    final RedisServer redis;
    final FakeAnthropic fake;
    final MirrorConfig config;
    final MirrorServer a;
    final MirrorServer b;
    final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    private TwoNodes(RedisServer redis, FakeAnthropic fake, MirrorConfig config, MirrorServer a, MirrorServer b) {
        this.redis = redis;
        this.fake = fake;
        this.config = config;
        this.a = a;
        this.b = b;
    }

    /** {@code settings} gets tenants team-a and team-b (keys {@link #KEY_A}, {@link #KEY_B}) and redis.uri set. */
    static TwoNodes start(UnaryOperator<MirrorConfigBuilder> settings) throws Exception {
        return start(RedisServer.shared(), settings);
    }

    /** As {@link #start(UnaryOperator)} on a Redis process of this test's own, which it may stop and restart. */
    static TwoNodes startOwnRedis(UnaryOperator<MirrorConfigBuilder> settings) throws Exception {
        return start(RedisServer.start(), settings);
    }

    /** As {@link #start(UnaryOperator)} on a Redis Cluster of three primaries, through a redis-cluster:// URI. */
    static TwoNodes startOnRedisCluster(UnaryOperator<MirrorConfigBuilder> settings) throws Exception {
        List<RedisServer> cluster = RedisServer.cluster(3);
        try {
            TwoNodes nodes = start(cluster.get(0), b -> settings.apply(b).set("redis.uri", cluster.get(0).clusterUri()));
            nodes.extraRedis = cluster.subList(1, cluster.size());
            // A fresh cluster can refuse the first commands while its slots settle; a node that saw that is
            // on local limits until its next good ping. The tests are about the shared state: wait for it.
            await("both nodes on the Redis Cluster", () -> isUp(nodes.a) && isUp(nodes.b));
            return nodes;
        } catch (Exception | Error e) {
            for (RedisServer r : cluster) {
                r.close();
            }
            throw e;
        }
    }

    private List<RedisServer> extraRedis = List.of();

    private static TwoNodes start(RedisServer redis, UnaryOperator<MirrorConfigBuilder> settings) throws Exception {
        FakeAnthropic fake = FakeAnthropic.start();
        MirrorServer a = null;
        try {
            Path dir = Files.createTempDirectory("mirror-cluster");
            MirrorConfig config = settings.apply(MirrorConfig.builder().upstream("primary", fake.baseUrl(), "sk-upstream")
                    .tenant("team-a", "plain:" + KEY_A).tenant("team-b", "plain:" + KEY_B)
                    .set("redis.uri", redis.uri()).set("redis.healthInterval", "100ms")
                    // The build machine is shared and often saturated: a deadline that tolerates its pauses, so
                    // an exact count is not turned into "retry" by a descheduled thread.
                    .set("redis.timeout", "1s")
                    // A prefix of its own: tests sharing the CI's Redis never see each other's keys.
                    .set("redis.keyPrefix", "test-" + java.util.UUID.randomUUID() + ":")
                    .set("audit.dir", dir.resolve("audit").toString())
                    .set("state.dir", dir.resolve("state").toString())).build();
            a = MirrorServer.start(Container.JETTY, config);
            MirrorServer b = MirrorServer.start(Container.TOMCAT, config);
            return new TwoNodes(redis, fake, config, a, b);
        } catch (Exception | Error e) {
            if (a != null) {
                a.close();
            }
            fake.close();
            redis.close();
            throw e;
        }
    }

    static String messages(String text, int maxTokens) {
        return "{\"model\":\"" + MODEL + "\",\"max_tokens\":" + maxTokens
                + ",\"messages\":[{\"role\":\"user\",\"content\":\"" + text + "\"}]}";
    }

    HttpRequest.Builder request(MirrorServer node, String key, String path) {
        return HttpRequest.newBuilder(URI.create(node.baseUrl() + path)).timeout(Duration.ofSeconds(30))
                .header("x-api-key", key).header("anthropic-version", "2023-06-01");
    }

    HttpRequest post(MirrorServer node, String key, String body) {
        return request(node, key, "/v1/messages").header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
    }

    HttpResponse<String> send(MirrorServer node, String key, String body) throws Exception {
        return http.send(post(node, key, body), HttpResponse.BodyHandlers.ofString());
    }

    CompletableFuture<HttpResponse<String>> sendAsync(MirrorServer node, String key, String body) {
        return http.sendAsync(post(node, key, body), HttpResponse.BodyHandlers.ofString());
    }

    static RedisTenantLimiter limiter(MirrorServer node) {
        return (RedisTenantLimiter) node.runtime().serviceIfPresent(TenantLimiter.class);
    }

    static RedisStore store(MirrorServer node) {
        return node.runtime().serviceIfPresent(RedisStore.class);
    }

    /** The node's {@code claude.mirror.redis.up} gauge, as its registry reports it. */
    static boolean isUp(MirrorServer node) {
        Object v = redisUp(node);
        return v instanceof Number n && n.intValue() == 1;
    }

    static Object redisUp(MirrorServer node) {
        MirrorMetrics m = node.runtime().serviceIfPresent(MirrorMetrics.class);
        return m.registry().getGauges().get("claude.mirror.redis.up").getValue();
    }

    static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(10);
        }
    }

    static void awaitQuietly(BooleanSupplier condition) {
        try {
            await("a condition", condition);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    @Override
    public void close() throws Exception {
        try {
            a.close();
            b.close();
        } finally {
            fake.close();
            redis.close();
            for (RedisServer r : extraRedis) {
                r.close();
            }
        }
    }
}
