package io.claudemirror.metrics;

import com.codahale.metrics.Metered;
import com.codahale.metrics.Metric;
import com.codahale.metrics.Snapshot;
import com.codahale.metrics.Timer;
import io.claudemirror.MirrorRuntime;
import io.claudemirror.config.MirrorConfig.Tenant;
import io.claudemirror.errors.Json;
import io.claudemirror.routing.UpstreamState;
import java.util.Map;
import java.util.SortedMap;
import java.util.concurrent.TimeUnit;

/**
 * The figures of the status page as one JSON object, read from the same Dropwizard metrics the exposition shows
 * (by their {@link MetricFamily} names): cumulative counts (the page derives per-second rates from two polls),
 * one-minute rates, latency quantiles in milliseconds, per-tenant usage against the configured limits, upstream
 * states and error types. Metadata only: no key, no prompt.
 */
public final class StatusSnapshot {
    /** The success-rate objective the page compares against. */
    public static final double SLO = 0.999;

    private StatusSnapshot() {
    }

    public static String json(MirrorRuntime runtime) {
        MirrorMetrics m = runtime.serviceIfPresent(MirrorMetrics.class);
        Map<String, Metric> all = m == null ? Map.of() : m.registry().getMetrics();
        StringBuilder sb = new StringBuilder(2048);
        sb.append("{\"time\":").append(System.currentTimeMillis());
        sb.append(",\"slo\":").append(SLO);
        Timer requests = (Timer) all.get(MirrorMetrics.REQUESTS.dropwizardName());
        sb.append(",\"requests\":{\"total\":").append(requests == null ? 0 : requests.getCount());
        sb.append(",\"perSecond1m\":").append(num(rate(requests)));
        sb.append(",\"active\":").append(m == null ? 0 : m.activeRequests());
        sb.append(",\"activeStreams\":").append(m == null ? 0 : m.activeStreams()).append('}');

        long total = 0;
        long serverErrors = 0;
        sb.append(",\"responses\":{");
        boolean first = true;
        for (Map.Entry<String, Metric> e : family(all, MirrorMetrics.RESPONSES).entrySet()) {
            long c = ((Metered) e.getValue()).getCount();
            total += c;
            String cls = MirrorMetrics.RESPONSES.labelValue(e.getKey());
            if (cls.equals("5xx")) {
                serverErrors = c;
            }
            first = field(sb, first, cls, c);
        }
        sb.append("},\"successRate\":").append(total == 0 ? "null" : num(1.0 - (double) serverErrors / total));

        sb.append(",\"latencyMs\":");
        quantiles(sb, requests);
        sb.append(",\"ttfbMs\":");
        quantiles(sb, (Timer) all.get(MirrorMetrics.TTFB.dropwizardName()));
        sb.append(",\"ttftMs\":");
        quantiles(sb, (Timer) all.get(MirrorMetrics.TTFT.dropwizardName()));

        long hits = count(all, MirrorMetrics.CACHE_HITS.dropwizardName());
        long misses = count(all, MirrorMetrics.CACHE_MISSES.dropwizardName());
        sb.append(",\"cache\":{\"hits\":").append(hits).append(",\"misses\":").append(misses)
                .append(",\"hitRatio\":").append(hits + misses == 0 ? "null" : num((double) hits / (hits + misses)))
                .append('}');

        sb.append(",\"errors\":{");
        first = true;
        for (Map.Entry<String, Metric> e : family(all, MirrorMetrics.ERRORS).entrySet()) {
            first = field(sb, first, MirrorMetrics.ERRORS.labelValue(e.getKey()), ((Metered) e.getValue()).getCount());
        }
        sb.append('}');

        sb.append(",\"tenants\":[");
        first = true;
        for (Tenant t : runtime.config().tenants()) {
            String id = MirrorMetrics.part(t.id());
            Metered req = (Metered) all.get(MirrorMetrics.TENANT_REQUESTS.dropwizardName() + "." + id);
            Metered in = (Metered) all.get(MirrorMetrics.TENANT_INPUT.dropwizardName() + "." + id);
            Metered out = (Metered) all.get(MirrorMetrics.TENANT_OUTPUT.dropwizardName() + "." + id);
            sb.append(first ? "" : ",").append("{\"id\":");
            first = false;
            Json.quote(sb, t.id());
            sb.append(",\"requests\":").append(req == null ? 0 : req.getCount());
            sb.append(",\"requestsPerMinute\":").append(num(rate(req) * 60));
            sb.append(",\"inputTokens\":").append(in == null ? 0 : in.getCount());
            sb.append(",\"inputTokensPerMinute\":").append(num(rate(in) * 60));
            sb.append(",\"outputTokens\":").append(out == null ? 0 : out.getCount());
            sb.append(",\"outputTokensPerMinute\":").append(num(rate(out) * 60));
            sb.append(",\"limits\":{\"requestsPerMinute\":").append(t.limits().requestsPerMinute())
                    .append(",\"inputTokensPerMinute\":").append(t.limits().inputTokensPerMinute())
                    .append(",\"outputTokensPerMinute\":").append(t.limits().outputTokensPerMinute())
                    .append(",\"maxConcurrent\":").append(t.limits().maxConcurrent())
                    .append(",\"tokensPerDay\":").append(t.limits().tokensPerDay()).append("}}");
        }
        sb.append(']');

        sb.append(",\"upstreams\":[");
        first = true;
        for (UpstreamState s : runtime.upstreams().states()) {
            sb.append(first ? "" : ",").append("{\"name\":");
            first = false;
            Json.quote(sb, s.upstream().name());
            sb.append(",\"healthy\":").append(s.healthy());
            sb.append(",\"state\":\"").append(s.healthy() ? "closed" : "open").append('"');
            sb.append(",\"backup\":").append(s.upstream().backup());
            sb.append(",\"requests\":").append(s.requests());
            sb.append(",\"failures\":").append(s.failures());
            sb.append(",\"consecutiveFailures\":").append(s.consecutiveFailures());
            sb.append(",\"lastFailure\":");
            if (s.lastFailure() == null) {
                sb.append("null");
            } else {
                Json.quote(sb, s.lastFailure());
            }
            sb.append('}');
        }
        sb.append("]}");
        return sb.toString();
    }

    private static SortedMap<String, Metric> family(Map<String, Metric> all, MetricFamily f) {
        java.util.TreeMap<String, Metric> out = new java.util.TreeMap<>();
        String prefix = f.dropwizardName() + ".";
        for (Map.Entry<String, Metric> e : all.entrySet()) {
            if (e.getKey().startsWith(prefix) && e.getKey().indexOf('.', prefix.length()) < 0
                    && e.getValue() instanceof Metered) {
                out.put(e.getKey(), e.getValue());
            }
        }
        return out;
    }

    private static boolean field(StringBuilder sb, boolean first, String name, long value) {
        sb.append(first ? "" : ",");
        Json.quote(sb, name);
        sb.append(':').append(value);
        return false;
    }

    private static long count(Map<String, Metric> all, String name) {
        return all.get(name) instanceof Metered c ? c.getCount() : 0;
    }

    /** The one-minute rate; before its first 5 s tick it is 0, so the mean rate stands in. */
    private static double rate(Metered m) {
        if (m == null) {
            return 0;
        }
        double r = m.getOneMinuteRate();
        return r > 0 ? r : m.getMeanRate();
    }

    private static void quantiles(StringBuilder sb, Timer t) {
        if (t == null || t.getCount() == 0) {
            sb.append("null");
            return;
        }
        Snapshot s = t.getSnapshot();
        sb.append("{\"p50\":").append(ms(s.getMedian())).append(",\"p95\":").append(ms(s.get95thPercentile()))
                .append(",\"p99\":").append(ms(s.get99thPercentile())).append('}');
    }

    private static String ms(double nanos) {
        return num(nanos / TimeUnit.MILLISECONDS.toNanos(1));
    }

    private static String num(double d) {
        return Double.isFinite(d) ? String.valueOf(Math.round(d * 1000) / 1000.0) : "null";
    }
}
