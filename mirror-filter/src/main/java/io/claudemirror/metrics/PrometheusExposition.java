package io.claudemirror.metrics;

import com.codahale.metrics.Counting;
import com.codahale.metrics.Gauge;
import com.codahale.metrics.Histogram;
import com.codahale.metrics.Meter;
import com.codahale.metrics.Metric;
import com.codahale.metrics.MetricFilter;
import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.Sampling;
import com.codahale.metrics.Snapshot;
import com.codahale.metrics.Timer;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.CounterSnapshot.CounterDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.DataPointSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricMetadata;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.prometheus.metrics.model.snapshots.PrometheusNaming;
import io.prometheus.metrics.model.snapshots.Quantiles;
import io.prometheus.metrics.model.snapshots.SummarySnapshot;
import io.prometheus.metrics.model.snapshots.SummarySnapshot.SummaryDataPointSnapshot;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Dropwizard registry in the Prometheus text format 0.0.4, written by the Prometheus client's own writer.
 * Names: dots become underscores; counters and meters are Prometheus counters ({@code _total}), gauges are
 * gauges, timers (in seconds) and histograms are summaries with the 0.5…0.999 quantiles and {@code _count}.
 * The mirror's families ({@code claude.mirror.errors.<type>}, {@code …upstream.latency.<upstream>}…) become one
 * metric with a label.
 *
 * <p>Why not the client's {@code DropwizardExports} bridge: its label mapper cannot put several Dropwizard
 * metrics into one labelled metric (1.4.3 fails the scrape with "duplicate metric name"), so the conversion,
 * about as long as the mapping configuration would be, is done here.
 */
public final class PrometheusExposition {
    public static final String CONTENT_TYPE = PrometheusTextFormatWriter.CONTENT_TYPE;

    private static final Logger LOG = LoggerFactory.getLogger(PrometheusExposition.class);
    private static final double NANOS_PER_SECOND = TimeUnit.SECONDS.toNanos(1);

    /** Dropwizard name prefix → Prometheus metric name, label name. The rest of the name is the label value. */
    private static final String[][] FAMILIES = {
        {"claude.mirror.responses.", "claude_mirror_responses", "class"},
        {"claude.mirror.errors.", "claude_mirror_errors", "type"},
        {"claude.mirror.pii.findings.", "claude_mirror_pii_findings", "type"},
        {"claude.mirror.upstream.requests.", "claude_mirror_upstream_requests", "upstream"},
        {"claude.mirror.upstream.failures.", "claude_mirror_upstream_failures", "upstream"},
        {"claude.mirror.upstream.healthy.", "claude_mirror_upstream_healthy", "upstream"},
        {"claude.mirror.upstream.latency.", "claude_mirror_upstream_latency", "upstream"},
        {"claude.mirror.upstream.ttfb.", "claude_mirror_upstream_ttfb", "upstream"},
        {"claude.mirror.upstream.breaker.", "claude_mirror_upstream_breaker", "upstream"},
        {"claude.mirror.upstream.latency_ewma_ms.", "claude_mirror_upstream_latency_ewma_ms", "upstream"},
        {"claude.mirror.upstream.inflight.", "claude_mirror_upstream_inflight", "upstream"},
        {"claude.mirror.upstream.paused.", "claude_mirror_upstream_paused", "upstream"},
        {"claude.mirror.upstream.quota_hits.", "claude_mirror_upstream_quota_hits", "upstream"},
        {"claude.mirror.tenant.requests.", "claude_mirror_tenant_requests", "tenant"},
        {"claude.mirror.tenant.tokens.input.", "claude_mirror_tenant_tokens_input", "tenant"},
        {"claude.mirror.tenant.tokens.output.", "claude_mirror_tenant_tokens_output", "tenant"},
        {"claude.mirror.ratelimit.rejections.", "claude_mirror_ratelimit_rejections_by_kind", "kind"},
        {"claude.mirror.ratelimit.observed.", "claude_mirror_ratelimit_observed", "kind"},
    };

    private final MetricRegistry registry;
    private final MetricFilter filter;
    private final PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();

    /** Exposes the metrics of {@code registry} that {@code filter} accepts. */
    public PrometheusExposition(MetricRegistry registry, MetricFilter filter) {
        this.registry = registry;
        this.filter = filter;
    }

    /** Only the mirror's own metrics ({@code claude.mirror.*}). */
    public static MetricFilter mirrorOnly() {
        return (name, metric) -> name.startsWith(MirrorMetrics.PREFIX + ".");
    }

    public void write(OutputStream out) throws IOException {
        writer.write(out, snapshots());
    }

    /** One metric of the exposition while it is assembled: all its data points share one type. */
    private static final class Family {
        final String name;
        final Kind kind;
        final String help;
        final List<DataPointSnapshot> points = new ArrayList<>();

        Family(String name, Kind kind, String help) {
            this.name = name;
            this.kind = kind;
            this.help = help;
        }
    }

    private enum Kind { COUNTER, GAUGE, SUMMARY }

    MetricSnapshots snapshots() {
        Map<String, Family> families = new TreeMap<>();
        for (Map.Entry<String, Metric> e : registry.getMetrics().entrySet()) {
            String dropwizardName = e.getKey();
            Metric metric = e.getValue();
            if (!filter.matches(dropwizardName, metric)) {
                continue;
            }
            try {
                add(families, dropwizardName, metric);
            } catch (RuntimeException ex) {
                // One odd metric (a gauge that throws, a name nothing can fix) must not fail the whole scrape.
                LOG.debug("metric {} left out of the Prometheus exposition: {}", dropwizardName, ex.toString());
            }
        }
        List<MetricSnapshot> out = new ArrayList<>(families.size());
        for (Family f : families.values()) {
            out.add(snapshot(f));
        }
        return new MetricSnapshots(out);
    }

    private static void add(Map<String, Family> families, String dropwizardName, Metric metric) {
        Kind kind;
        DataPointSnapshot point;
        String name = null;
        Labels labels = Labels.EMPTY;
        for (String[] fam : FAMILIES) {
            if (dropwizardName.startsWith(fam[0]) && dropwizardName.indexOf('.', fam[0].length()) < 0) {
                name = fam[1];
                labels = Labels.of(fam[2], dropwizardName.substring(fam[0].length()));
                break;
            }
        }
        if (name == null) {
            name = sanitize(dropwizardName);
        }
        if (metric instanceof Gauge<?> g) {
            Object v = g.getValue();
            double value;
            if (v instanceof Number n) {
                value = n.doubleValue();
            } else if (v instanceof Boolean b) {
                value = b ? 1 : 0;
            } else {
                return; // a gauge of a string or a map has no Prometheus form
            }
            kind = Kind.GAUGE;
            point = GaugeDataPointSnapshot.builder().value(value).labels(labels).build();
        } else if (metric instanceof Sampling s && metric instanceof Counting c) {
            // Timers record nanoseconds; Prometheus wants seconds (divided, not multiplied by 1e-9: no 0.0600000005).
            double unit = metric instanceof Timer ? NANOS_PER_SECOND : 1;
            Snapshot snap = s.getSnapshot();
            Quantiles q = Quantiles.builder()
                    .quantile(0.5, snap.getMedian() / unit)
                    .quantile(0.75, snap.get75thPercentile() / unit)
                    .quantile(0.95, snap.get95thPercentile() / unit)
                    .quantile(0.98, snap.get98thPercentile() / unit)
                    .quantile(0.99, snap.get99thPercentile() / unit)
                    .quantile(0.999, snap.get999thPercentile() / unit)
                    .build();
            kind = Kind.SUMMARY;
            point = SummaryDataPointSnapshot.builder().quantiles(q).count(c.getCount()).labels(labels).build();
        } else if (metric instanceof Counting c) {
            kind = Kind.COUNTER;
            point = CounterDataPointSnapshot.builder().value(c.getCount()).labels(labels).build();
        } else {
            return;
        }
        Family f = families.get(name);
        if (f == null) {
            f = new Family(name, kind, Help.of(name, dropwizardName, metric));
            families.put(name, f);
        } else if (f.kind != kind || !labels.hasSameNames(f.points.get(0).getLabels())) {
            LOG.debug("metric {} clashes with another of Prometheus name {}; left out", dropwizardName, name);
            return;
        }
        f.points.add(point);
    }

    @SuppressWarnings("unchecked")
    private static MetricSnapshot snapshot(Family f) {
        MetricMetadata meta = new MetricMetadata(f.name, f.help);
        List<?> points = f.points; // every point of a family has the family's kind
        return switch (f.kind) {
            case COUNTER -> new CounterSnapshot(meta, (List<CounterDataPointSnapshot>) points);
            case GAUGE -> new GaugeSnapshot(meta, (List<GaugeDataPointSnapshot>) points);
            case SUMMARY -> new SummarySnapshot(meta, (List<SummaryDataPointSnapshot>) points);
        };
    }

    /**
     * A valid Prometheus metric name in the usual snake case: dots and other characters outside
     * {@code [a-zA-Z0-9_:]} become underscores, {@code camelCase} becomes {@code camel_case}, and a reserved
     * suffix ({@code _total}…) is dropped (the writer adds {@code _total} to counters itself).
     */
    static String sanitize(String dropwizardName) {
        StringBuilder sb = new StringBuilder(dropwizardName.length() + 8);
        char prev = 0;
        for (int i = 0; i < dropwizardName.length(); i++) {
            char c = dropwizardName.charAt(i);
            boolean ok = c < 128 && (Character.isLetterOrDigit(c) || c == '_' || c == ':');
            if (ok && Character.isUpperCase(c) && (Character.isLowerCase(prev) || Character.isDigit(prev))) {
                sb.append('_');
            }
            sb.append(ok ? Character.toLowerCase(c) : '_');
            prev = c;
        }
        if (sb.length() == 0 || Character.isDigit(sb.charAt(0))) {
            sb.insert(0, '_');
        }
        return PrometheusNaming.sanitizeMetricName(sb.toString());
    }

    /** HELP texts of the mirror's metrics; other metrics say where they come from. */
    static final class Help {
        static String kind(Metric m) {
            return m instanceof Gauge ? "gauge" : m instanceof Timer ? "timer"
                    : m instanceof Histogram ? "histogram" : m instanceof Meter ? "meter" : "counter";
        }

        private static final Map<String, String> TEXT = new LinkedHashMap<>();

        static {
            TEXT.put("claude_mirror_requests", "Duration of every request through the mirror, in seconds");
            TEXT.put("claude_mirror_requests_stream", "Duration of streamed (SSE) requests, in seconds");
            TEXT.put("claude_mirror_requests_nonstream", "Duration of non-streamed requests, in seconds");
            TEXT.put("claude_mirror_requests_active", "Requests in flight");
            TEXT.put("claude_mirror_streams_active", "Streaming requests in flight");
            TEXT.put("claude_mirror_ttfb", "Time to the first response byte sent to the client, in seconds");
            TEXT.put("claude_mirror_ttft", "Time to the first token (first content_block_delta) of a stream, in seconds");
            TEXT.put("claude_mirror_responses", "Responses by status class");
            TEXT.put("claude_mirror_aborted", "Requests the client abandoned before the response ended");
            TEXT.put("claude_mirror_errors", "Error outcomes by Anthropic error type");
            TEXT.put("claude_mirror_cache_hits", "Responses served from the mirror's cache");
            TEXT.put("claude_mirror_cache_misses", "Cacheable requests not found in the cache");
            TEXT.put("claude_mirror_cache_bypasses", "Requests that refused the cache");
            TEXT.put("claude_mirror_tokens_input", "Input tokens processed by the upstreams");
            TEXT.put("claude_mirror_tokens_output", "Output tokens generated by the upstreams");
            TEXT.put("claude_mirror_pii_findings", "PII findings in requests, by type");
            TEXT.put("claude_mirror_upstream_requests", "Attempts sent to each upstream (retries included)");
            TEXT.put("claude_mirror_upstream_failures", "Failed attempts per upstream (connect, timeout, 5xx, 429)");
            TEXT.put("claude_mirror_upstream_healthy", "1 while the upstream counts as healthy, else 0");
            TEXT.put("claude_mirror_upstream_latency", "Request duration by the upstream that answered, in seconds");
            TEXT.put("claude_mirror_upstream_ttfb", "Time to first byte by the upstream that answered, in seconds");
            TEXT.put("claude_mirror_upstream_retries", "Extra attempts after a failed or retryable one");
            TEXT.put("claude_mirror_tenant_requests", "Requests per tenant");
            TEXT.put("claude_mirror_tenant_tokens_input", "Input tokens per tenant");
            TEXT.put("claude_mirror_tenant_tokens_output", "Output tokens per tenant");
            TEXT.put("claude_mirror_ratelimit_rejections", "Requests rejected by a tenant limit (429)");
            TEXT.put("claude_mirror_ratelimit_rejections_by_kind", "Requests rejected by a tenant limit, by limit");
            TEXT.put("claude_mirror_ratelimit_observed", "Requests a limit would have rejected (observe mode), by limit");
            TEXT.put("claude_mirror_audit_written", "Audit records written");
            TEXT.put("claude_mirror_audit_dropped", "Audit records dropped because the queue was full");
            TEXT.put("claude_mirror_audit_failures", "Audit records lost to I/O errors");
            TEXT.put("claude_mirror_audit_queue", "Audit records waiting to be written");
        }

        static String of(String prometheusName, String dropwizardName, Metric metric) {
            String t = TEXT.get(prometheusName);
            return t != null ? t : dropwizardName + " (Dropwizard " + kind(metric) + ")";
        }
    }
}
