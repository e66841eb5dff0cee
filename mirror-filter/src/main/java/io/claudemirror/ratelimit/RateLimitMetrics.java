package io.claudemirror.ratelimit;

import com.codahale.metrics.Counter;
import com.codahale.metrics.Gauge;
import com.codahale.metrics.Metric;
import com.codahale.metrics.MetricSet;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Counters of the rate-limit and QoS decisions, one shared instance per runtime
 * ({@code runtime.service(RateLimitMetrics.class, RateLimitMetrics::new)}). It is a Dropwizard {@link MetricSet},
 * so the metrics component registers it under its prefix: {@code registry.registerAll("claude.mirror", set)}.
 * Names: {@code ratelimit.rejections} (all 429s of limits), {@code ratelimit.rejections.<kind>},
 * {@code ratelimit.observed.<kind>} (observe mode: would have been rejected), {@code ratelimit.modelDenied},
 * {@code qos.queued}, {@code qos.rejected.timeout}, {@code qos.rejected.full}, gauges {@code qos.inFlight} and
 * {@code qos.queueLength}.
 */
public final class RateLimitMetrics implements MetricSet {
    private final Counter rejections = new Counter();
    private final EnumMap<LimitKind, Counter> rejectedBy = new EnumMap<>(LimitKind.class);
    private final EnumMap<LimitKind, Counter> observedBy = new EnumMap<>(LimitKind.class);
    private final Counter modelDenied = new Counter();
    private final Counter queued = new Counter();
    private final Counter queueTimeouts = new Counter();
    private final Counter queueFull = new Counter();
    private volatile InFlightGate gate;

    public RateLimitMetrics() {
        for (LimitKind k : LimitKind.values()) {
            rejectedBy.put(k, new Counter());
            observedBy.put(k, new Counter());
        }
    }

    void rejected(LimitKind kind) {
        rejections.inc();
        rejectedBy.get(kind).inc();
    }

    void wouldReject(LimitKind kind) {
        observedBy.get(kind).inc();
    }

    void modelDenied() {
        modelDenied.inc();
    }

    void queued() {
        queued.inc();
    }

    void queueTimedOut() {
        queueTimeouts.inc();
    }

    void queueFull() {
        queueFull.inc();
    }

    void gate(InFlightGate g) {
        gate = g;
    }

    public long rejections() {
        return rejections.getCount();
    }

    public long rejections(LimitKind kind) {
        return rejectedBy.get(kind).getCount();
    }

    public long observed(LimitKind kind) {
        return observedBy.get(kind).getCount();
    }

    public long queueRejections() {
        return queueTimeouts.getCount() + queueFull.getCount();
    }

    @Override
    public Map<String, Metric> getMetrics() {
        Map<String, Metric> m = new LinkedHashMap<>();
        m.put("ratelimit.rejections", rejections);
        for (LimitKind k : LimitKind.values()) {
            String name = k.name().toLowerCase(Locale.ROOT);
            m.put("ratelimit.rejections." + name, rejectedBy.get(k));
            m.put("ratelimit.observed." + name, observedBy.get(k));
        }
        m.put("ratelimit.modelDenied", modelDenied);
        m.put("qos.queued", queued);
        m.put("qos.rejected.timeout", queueTimeouts);
        m.put("qos.rejected.full", queueFull);
        m.put("qos.inFlight", (Gauge<Integer>) () -> gate == null ? 0 : gate.inFlight());
        m.put("qos.queueLength", (Gauge<Integer>) () -> gate == null ? 0 : gate.queued());
        return m;
    }
}
