package io.claudemirror.cluster;

import io.claudemirror.config.MirrorConfig;
import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.Delay;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's link to Redis and its view of whether Redis is there: one Lettuce connection (standalone,
 * Sentinel or Cluster, from {@code redis.uri}), shared by every cluster component, with a command timeout of
 * {@code redis.timeout} and commands rejected at once while disconnected, so a request never waits longer than
 * that on Redis.
 *
 * <p>Two states, {@code up} and {@code down}. A failed command moves the node to down at once (components then
 * stop asking Redis and apply the failure policy without paying the timeout on every request); a health ping
 * every {@code redis.healthInterval} moves it back up when Redis answers again. Each transition logs one line
 * and bumps {@code claude.mirror.redis.transitions}; {@code claude.mirror.redis.up} shows the state.
 */
public final class RedisStore implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RedisStore.class);
    static final RedisCodec<String, byte[]> CODEC = RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE);

    private final MirrorConfig.Redis config;
    private final ClusterMetrics metrics;
    private final ClientResources resources;
    private final AbstractRedisClient client;
    private final ScheduledExecutorService scheduler;
    private final AtomicBoolean up = new AtomicBoolean();
    /** Commands failed in a row since the last success. */
    private final AtomicInteger failures = new AtomicInteger();
    static final int FAILURES_BEFORE_DOWN = 3;
    private final String where;
    private volatile Link link;
    private volatile boolean closed;

    /** The connection and what is built on it; replaced only when the first connection is made late. */
    record Link(StatefulConnection<String, byte[]> connection, RedisClusterCommands<String, byte[]> sync,
                RedisClusterAsyncCommands<String, byte[]> async) {
    }

    /**
     * Connects to {@code config.uri()}. When Redis cannot be reached now, the node starts down (and applies the
     * failure policy) and keeps trying in the background.
     */
    public RedisStore(MirrorConfig.Redis config, ClusterMetrics metrics) {
        this.config = config;
        this.metrics = metrics;
        this.where = redacted(config.uri());
        // Reconnect attempts back off to one per second at most: a Redis that returns is used within about a second.
        this.resources = ClientResources.builder().reconnectDelay(Delay.exponential(Duration.ofMillis(10),
                Duration.ofSeconds(1), 2, TimeUnit.MILLISECONDS)).build();
        this.client = newClient(config, resources);
        this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "claude-mirror-redis");
            t.setDaemon(true);
            return t;
        });
        metrics.upSource(up::get);
        try {
            link = connect();
            up.set(true);
            LOG.info("Claude Mirror cluster mode: connected to Redis at {} (failurePolicy={}, timeout={})", where,
                    config.failOpen() ? "open" : "closed", config.timeout());
        } catch (RuntimeException e) {
            LOG.warn("Claude Mirror cluster mode: Redis at {} is unreachable at start ({}); {} until it answers",
                    where, e.getMessage(), policyText());
        }
        long every = config.healthInterval().toMillis();
        scheduler.scheduleWithFixedDelay(this::check, every, every, TimeUnit.MILLISECONDS);
    }

    private String policyText() {
        return config.failOpen() ? "each node enforces its own limits" : "limited requests are refused";
    }

    static String redacted(String uri) {
        return uri.replaceAll("//[^@/]*@", "//***@");
    }

    private static AbstractRedisClient newClient(MirrorConfig.Redis config, ClientResources resources) {
        Duration timeout = config.timeout();
        SocketOptions socket = SocketOptions.builder().connectTimeout(timeout.multipliedBy(5)).keepAlive(true).build();
        TimeoutOptions timeouts = TimeoutOptions.enabled(timeout);
        String uri = config.uri();
        String scheme = uri.substring(0, uri.indexOf("://")).toLowerCase(java.util.Locale.ROOT);
        if (scheme.endsWith("-cluster")) {
            RedisClusterClient c = RedisClusterClient.create(resources, clusterSeeds(uri, scheme.startsWith("rediss")));
            c.setOptions(ClusterClientOptions.builder().autoReconnect(true).socketOptions(socket)
                    .timeoutOptions(timeouts).disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                    .build());
            return c;
        }
        RedisClient c = RedisClient.create(resources, RedisURI.create(uri));
        c.setOptions(ClientOptions.builder().autoReconnect(true).socketOptions(socket).timeoutOptions(timeouts)
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS).build());
        return c;
    }

    /** {@code redis-cluster://[user:pass@]h1:p1,h2:p2[/]}: each seed becomes a plain URI with the credentials. */
    static List<RedisURI> clusterSeeds(String uri, boolean tls) {
        String rest = uri.substring(uri.indexOf("://") + 3);
        String auth = "";
        int at = rest.lastIndexOf('@');
        if (at >= 0) {
            auth = rest.substring(0, at + 1);
            rest = rest.substring(at + 1);
        }
        int slash = rest.indexOf('/');
        if (slash >= 0) {
            rest = rest.substring(0, slash);
        }
        List<RedisURI> seeds = new ArrayList<>();
        for (String hostPort : rest.split(",")) {
            if (!hostPort.isBlank()) {
                seeds.add(RedisURI.create((tls ? "rediss://" : "redis://") + auth + hostPort.trim()));
            }
        }
        return seeds;
    }

    private Link connect() {
        Duration timeout = config.timeout();
        if (client instanceof RedisClusterClient c) {
            StatefulRedisClusterConnection<String, byte[]> conn = c.connect(CODEC);
            conn.setTimeout(timeout);
            return new Link(conn, conn.sync(), conn.async());
        }
        StatefulRedisConnection<String, byte[]> conn = ((RedisClient) client).connect(CODEC);
        conn.setTimeout(timeout);
        return new Link(conn, conn.sync(), conn.async());
    }

    /** The health ping: connects late if needed, and flips the state on what Redis answers. */
    private void check() {
        if (closed) {
            return;
        }
        try {
            Link l = link;
            if (l == null) {
                l = connect();
                link = l;
            }
            l.sync().ping();
            failures.set(0);
            markUp();
        } catch (RuntimeException e) {
            metrics.error();
            markDown(e);
        }
    }

    private void markUp() {
        if (up.compareAndSet(false, true)) {
            metrics.transition();
            LOG.info("Claude Mirror cluster mode: Redis at {} answers again; shared limits, cache and ownership resume",
                    where);
        }
    }

    /**
     * A command failed: counts it, and moves the node to down when the connection is gone or
     * {@value #FAILURES_BEFORE_DOWN} commands in a row failed. One slow command (a compare-and-swap retried
     * under contention, a pause of the JVM) fails only its own request over to the policy; the health ping
     * decides for a Redis that hangs without disconnecting.
     */
    void failed(Throwable e) {
        metrics.error();
        Link l = link;
        if (l == null || !l.connection().isOpen() || failures.incrementAndGet() >= FAILURES_BEFORE_DOWN) {
            markDown(e);
        }
    }

    /** An asynchronous command succeeded: the failures-in-a-row count starts again. */
    void succeeded() {
        if (failures.get() != 0) {
            failures.set(0);
        }
    }

    private void markDown(Throwable e) {
        if (up.compareAndSet(true, false)) {
            metrics.transition();
            LOG.warn("Claude Mirror cluster mode: Redis at {} failed ({}); {} until it answers again", where,
                    e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage()),
                    policyText());
        }
    }

    /** Whether this node uses Redis now. */
    public boolean up() {
        return up.get() && link != null && !closed;
    }

    public MirrorConfig.Redis config() {
        return config;
    }

    ClusterMetrics metrics() {
        return metrics;
    }

    /** A key under {@code redis.keyPrefix}. */
    String key(String suffix) {
        return config.keyPrefix() + suffix;
    }

    /**
     * A key of one tenant's state; the hash tag keeps all of a tenant's keys in one Redis Cluster slot, so a
     * script may touch several of them.
     */
    String tenantKey(String tenantId, String suffix) {
        return config.keyPrefix() + "{t:" + tenantId + "}:" + suffix;
    }

    /**
     * Runs {@code call} on the link. Throws {@link RedisUnavailableException} without trying when the node is
     * down, and after marking it down when the call fails; so callers handle exactly one exception type.
     */
    <T> T call(Function<Link, T> call) {
        Link l = link;
        if (l == null || !up.get() || closed) {
            throw new RedisUnavailableException("Redis is down", null);
        }
        try {
            T result = call.apply(l);
            if (failures.get() != 0) {
                failures.set(0);
            }
            return result;
        } catch (RedisUnavailableException e) {
            throw e;
        } catch (RuntimeException e) {
            failed(e);
            throw new RedisUnavailableException("Redis command failed", e);
        }
    }

    /**
     * Like {@link #call} but tries even while the node thinks Redis is down: for ownership, whose answer without
     * Redis is a refusal anyway, so asking costs nothing and a recovered Redis serves at once.
     */
    <T> T callEvenIfDown(Function<Link, T> call) {
        Link l = link;
        if (l == null || closed) {
            throw new RedisUnavailableException("Redis not connected", null);
        }
        try {
            T result = call.apply(l);
            failures.set(0);
            markUp();
            return result;
        } catch (RuntimeException e) {
            failed(e);
            throw new RedisUnavailableException("Redis command failed", e);
        }
    }

    /** The current link, or null before the first connection. */
    Link link() {
        return link;
    }

    /** The scheduler of this store (lease renewal shares it). */
    ScheduledExecutorService scheduler() {
        return scheduler;
    }

    /**
     * Drops the link without any goodbye (no lease released, no renewal after): what a crashed node leaves
     * behind. For failure tests and operators' drills; the store is unusable afterwards.
     */
    public void halt() {
        closed = true;
        scheduler.shutdownNow();
        Link l = link;
        if (l != null) {
            l.connection().close();
        }
        client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        resources.shutdown(0, 2, TimeUnit.SECONDS);
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        scheduler.shutdownNow();
        Link l = link;
        if (l != null) {
            l.connection().close();
        }
        client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        resources.shutdown(0, 2, TimeUnit.SECONDS);
    }
}
