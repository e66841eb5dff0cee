package io.claudemirror.ratelimit;

import com.codahale.metrics.Counter;
import com.codahale.metrics.Gauge;
import com.codahale.metrics.Metric;
import com.codahale.metrics.MetricSet;
import io.claudemirror.metrics.MetricFamily;
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
    static final MetricFamily REJECTIONS = MetricFamily.single("ratelimit.rejections",
            "Requests rejected by a tenant limit (429)");
    static final MetricFamily REJECTIONS_BY_KIND = MetricFamily.labelled("ratelimit.rejections",
            "claude_mirror_ratelimit_rejections_by_kind", "kind", "Requests rejected by a tenant limit, by limit");
    static final MetricFamily OBSERVED = MetricFamily.labelled("ratelimit.observed", "kind",
            "Requests a limit would have rejected (observe mode), by limit");
    static final MetricFamily MODEL_DENIED = MetricFamily.single("ratelimit.modelDenied",
            "Requests refused because the model is not in the tenant's allow-list (403)");
    static final MetricFamily QUEUED = MetricFamily.single("qos.queued", "Requests that waited in the QoS queue");
    static final MetricFamily QUEUE_TIMEOUTS = MetricFamily.single("qos.rejected.timeout",
            "Requests rejected after waiting too long in the QoS queue");
    static final MetricFamily QUEUE_FULL = MetricFamily.single("qos.rejected.full",
            "Requests rejected because the QoS queue was full");
    static final MetricFamily IN_FLIGHT = MetricFamily.single("qos.inFlight", "Requests in flight towards the upstreams");
    static final MetricFamily QUEUE_LENGTH = MetricFamily.single("qos.queueLength", "Requests waiting in the QoS queue");

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
        m.put(REJECTIONS.relativeName(), rejections);
        for (LimitKind k : LimitKind.values()) {
            String name = k.name().toLowerCase(Locale.ROOT);
            m.put(REJECTIONS_BY_KIND.member(name), rejectedBy.get(k));
            m.put(OBSERVED.member(name), observedBy.get(k));
        }
        m.put(MODEL_DENIED.relativeName(), modelDenied);
        m.put(QUEUED.relativeName(), queued);
        m.put(QUEUE_TIMEOUTS.relativeName(), queueTimeouts);
        m.put(QUEUE_FULL.relativeName(), queueFull);
        m.put(IN_FLIGHT.relativeName(), (Gauge<Integer>) () -> gate == null ? 0 : gate.inFlight());
        m.put(QUEUE_LENGTH.relativeName(), (Gauge<Integer>) () -> gate == null ? 0 : gate.queued());
        return m;
    }
}
