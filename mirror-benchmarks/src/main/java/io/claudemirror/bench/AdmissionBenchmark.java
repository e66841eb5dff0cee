package io.claudemirror.bench;

import io.claudemirror.config.MirrorConfig.Limits;
import io.claudemirror.config.MirrorConfig.Tenant;
import io.claudemirror.ratelimit.Admission;
import io.claudemirror.ratelimit.Headroom;
import io.claudemirror.ratelimit.LocalTenantLimiter;
import io.claudemirror.ratelimit.ModelAllowList;
import io.claudemirror.ratelimit.TokenEstimates;
import io.claudemirror.ratelimit.WallClock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The rate-limit decision of one {@code POST /v1/messages}, without servlet I/O: model allow-list, token
 * estimates, tenant lookup and all five limits (requests, input, output, daily budget, concurrency), then the
 * settlement that corrects the reservations at completion. 50 tenants, every limit on and high enough that
 * nothing is rejected (the common case), tenants taken round-robin.
 * <ul>
 *   <li>{@code admitAndSettle}: the whole per-request cost, single thread;</li>
 *   <li>{@code admitAndSettleSameTenantContended}: the same with 2 threads on one tenant (its monitor
 *       contended);</li>
 *   <li>{@code rejected}: a tenant over its requests limit (the wait estimate over all its buckets);</li>
 *   <li>{@code headroom}: the snapshot behind the {@code anthropic-ratelimit-*} headers.</li>
 * </ul>
 * Run: {@code java -jar mirror-benchmarks/target/benchmarks.jar Admission -f 1 -wi 2 -i 3}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(1)
public class AdmissionBenchmark {
    private static final int TENANTS = 50;
    /** High enough that a run never drains a bucket: settlement refunds most of each reservation anyway. */
    private static final long PLENTY = 1_000_000_000_000L;

    private LocalTenantLimiter limiter;
    private Tenant[] tenants;
    private ModelAllowList models;
    private Tenant exhausted;
    private int next;

    @Setup
    public void setUp() {
        List<Tenant> list = new ArrayList<>();
        for (int i = 0; i < TENANTS; i++) {
            list.add(new Tenant("tenant-" + i, List.of("plain:sk-" + i),
                    new Limits(PLENTY, PLENTY, PLENTY, 1_000_000, PLENTY), List.of("claude-*"), i % 3, null));
        }
        exhausted = new Tenant("exhausted", List.of("plain:sk-x"), new Limits(1, 1000, 1000, 0, 100_000),
                List.of(), 1, null);
        list.add(exhausted);
        limiter = new LocalTenantLimiter(list, new WallClock());
        tenants = list.subList(0, TENANTS).toArray(new Tenant[0]);
        models = ModelAllowList.of(List.of("claude-*"));
        limiter.admit(exhausted, 10, 10, true); // takes its only request: every later one is refused
    }

    @Benchmark
    public boolean admitAndSettle() {
        Tenant t = tenants[next];
        next = next == TENANTS - 1 ? 0 : next + 1;
        return decide(t);
    }

    @Benchmark
    @Threads(2)
    public boolean admitAndSettleSameTenantContended() {
        return decide(tenants[0]);
    }

    private boolean decide(Tenant t) {
        if (!models.allows("claude-sonnet-4-5-20250929")) {
            return false;
        }
        long in = TokenEstimates.inputTokens(48_000);
        long out = TokenEstimates.outputTokens(8192);
        Admission a = limiter.admit(t, in, out, true);
        // Completion: real usage below the reservation, as usual.
        limiter.settle(a, 11_500, 700);
        return a.granted();
    }

    @Benchmark
    public Admission rejected() {
        return limiter.admit(exhausted, 10, 10, true);
    }

    @Benchmark
    public Headroom headroom() {
        Tenant t = tenants[next];
        next = next == TENANTS - 1 ? 0 : next + 1;
        return limiter.headroom(t);
    }
}
