package io.claudemirror.bench;

import io.claudemirror.cluster.ClusterMetrics;
import io.claudemirror.cluster.RedisStore;
import io.claudemirror.cluster.RedisTenantLimiter;
import io.claudemirror.config.MirrorConfig;
import io.claudemirror.config.MirrorConfig.Limits;
import io.claudemirror.config.MirrorConfig.Tenant;
import io.claudemirror.ratelimit.Admission;
import io.claudemirror.ratelimit.Headroom;
import io.claudemirror.ratelimit.LocalTenantLimiter;
import io.claudemirror.ratelimit.TenantLimiter;
import io.claudemirror.ratelimit.WallClock;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Admission latency, local buckets against Redis (cluster mode), for two tenant shapes:
 * <ul>
 *   <li>{@code requests}: only {@code requestsPerMinute} (one shared bucket);</li>
 *   <li>{@code all}: requests, input, output, daily budget and {@code maxConcurrent} (four buckets and a lease),
 *       then the settlement that corrects three of them and returns the lease.</li>
 * </ul>
 * The Redis URI comes from {@code MIRROR_BENCH_REDIS} (default {@code redis://127.0.0.1:6390}, the port
 * {@code .ci/run} uses). Run: {@code java -jar mirror-benchmarks/target/benchmarks.jar RedisAdmission -f 1}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
@Fork(1)
public class RedisAdmissionBenchmark {
    private static final long PLENTY = 1_000_000_000_000L;

    @Param({"local", "redis"})
    public String where;

    @Param({"requests", "all"})
    public String limits;

    private RedisStore store;
    private TenantLimiter limiter;
    private Tenant tenant;

    @Setup
    public void setUp() {
        tenant = "all".equals(limits)
                ? new Tenant("bench", List.of("plain:sk-b"), new Limits(PLENTY, PLENTY, PLENTY, 1_000_000, PLENTY),
                        List.of(), 1, null)
                : new Tenant("bench", List.of("plain:sk-b"), new Limits(PLENTY, 0, 0, 0, 0), List.of(), 1, null);
        if ("local".equals(where)) {
            limiter = new LocalTenantLimiter(List.of(tenant), new WallClock());
            return;
        }
        String uri = System.getenv().getOrDefault("MIRROR_BENCH_REDIS", "redis://127.0.0.1:6390");
        MirrorConfig.Redis config = new MirrorConfig.Redis(uri, true, Duration.ofMillis(500),
                "bench-" + UUID.randomUUID() + ":", Duration.ofSeconds(15), Duration.ofSeconds(1));
        store = new RedisStore(config, new ClusterMetrics());
        if (!store.up()) {
            throw new IllegalStateException("no Redis at " + uri + " (set MIRROR_BENCH_REDIS)");
        }
        limiter = new RedisTenantLimiter(store, List.of(tenant), new WallClock());
    }

    @TearDown
    public void tearDown() {
        if (store != null) {
            store.close();
        }
    }

    @Benchmark
    public boolean admitAndSettle() {
        boolean messages = "all".equals(limits);
        Admission a = limiter.admit(tenant, messages ? 12_000 : 0, messages ? 2048 : 0, messages);
        limiter.settle(a, messages ? 11_500 : TenantLimiter.KEEP_RESERVATION,
                messages ? 700 : TenantLimiter.KEEP_RESERVATION);
        return a.granted();
    }

    @Benchmark
    public Headroom headroom() {
        return limiter.headroom(tenant);
    }
}
