package io.claudemirror.cluster;

import com.codahale.metrics.Counter;
import com.codahale.metrics.Gauge;
import com.codahale.metrics.Metric;
import com.codahale.metrics.MetricSet;
import io.claudemirror.metrics.MetricFamily;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * Metrics of cluster mode, one instance per runtime (a Dropwizard {@link MetricSet} the metrics component
 * registers under its prefix): whether this node reaches Redis now, how often it had to decide without it, and
 * the Redis commands that failed. Holds no Lettuce type, so it loads in hosts without Redis.
 */
public final class ClusterMetrics implements MetricSet {
    static final MetricFamily UP = MetricFamily.single("redis.up",
            "1 while this node reaches Redis (cluster mode), 0 while it decides on its own").presentWhen("redis.uri");
    static final MetricFamily ERRORS = MetricFamily.single("redis.errors",
            "Redis commands that failed or timed out").presentWhen("redis.uri");
    static final MetricFamily TRANSITIONS = MetricFamily.single("redis.transitions",
            "Times this node lost or regained Redis").presentWhen("redis.uri");
    static final MetricFamily LOCAL_DECISIONS = MetricFamily.single("redis.fallback.admissions",
            "Tenant admissions decided by this node's own limits while Redis was down (failurePolicy open)").presentWhen("redis.uri");
    static final MetricFamily CLOSED_REJECTIONS = MetricFamily.single("redis.fallback.rejections",
            "Requests refused because Redis was down (failurePolicy closed, or an ownership check)").presentWhen("redis.uri");

    private final Counter errors = new Counter();
    private final Counter transitions = new Counter();
    private final Counter localDecisions = new Counter();
    private final Counter closedRejections = new Counter();
    private volatile BooleanSupplier up = () -> false;

    void upSource(BooleanSupplier source) {
        this.up = source;
    }

    void error() {
        errors.inc();
    }

    void transition() {
        transitions.inc();
    }

    void decidedLocally() {
        localDecisions.inc();
    }

    void rejectedClosed() {
        closedRejections.inc();
    }

    public long errors() {
        return errors.getCount();
    }

    @Override
    public Map<String, Metric> getMetrics() {
        Map<String, Metric> m = new LinkedHashMap<>();
        m.put(UP.relativeName(), (Gauge<Integer>) () -> up.getAsBoolean() ? 1 : 0);
        m.put(ERRORS.relativeName(), errors);
        m.put(TRANSITIONS.relativeName(), transitions);
        m.put(LOCAL_DECISIONS.relativeName(), localDecisions);
        m.put(CLOSED_REJECTIONS.relativeName(), closedRejections);
        return m;
    }
}
