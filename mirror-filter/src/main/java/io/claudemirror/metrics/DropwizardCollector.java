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
import io.prometheus.metrics.model.registry.MultiCollector;
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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Dropwizard registry as a Prometheus client {@link MultiCollector}, read at each scrape. Names and HELP
 * come from the {@link MetricFamily} declarations beside the registering code; a metric without one (a host's,
 * with {@code export=all}) gets its sanitized name. Counters and meters are counters ({@code _total}), gauges
 * are gauges, timers (in seconds) and histograms are summaries with the 0.5…0.999 quantiles and {@code _count}.
 *
 * <p>Why not the client's {@code DropwizardExports}: it cannot put several Dropwizard metrics into one labelled
 * metric (1.4.3 fails the scrape with "duplicate metric name", prometheus/client_java#1712). Here a clash is
 * logged and the later metric left out, so one odd metric never fails a scrape.
 */
public final class DropwizardCollector implements MultiCollector {
    private static final Logger LOG = LoggerFactory.getLogger(DropwizardCollector.class);
    private static final double NANOS_PER_SECOND = TimeUnit.SECONDS.toNanos(1);

    private final MetricRegistry registry;
    private final MetricFilter filter;

    static {
        MetricFamily.loadDeclarations();
    }

    public DropwizardCollector(MetricRegistry registry, MetricFilter filter) {
        this.registry = registry;
        this.filter = filter;
    }

    /** Only the mirror's own metrics ({@code claude.mirror.*}). */
    public static MetricFilter mirrorOnly() {
        return (name, metric) -> name.startsWith(MirrorMetrics.PREFIX + ".");
    }

    /** One metric of the exposition while it is assembled: all its data points share one type and label names. */
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

    @Override
    public MetricSnapshots collect() {
        Map<String, Family> families = new TreeMap<>();
        for (Map.Entry<String, Metric> e : registry.getMetrics().entrySet()) {
            if (!filter.matches(e.getKey(), e.getValue())) {
                continue;
            }
            try {
                add(families, e.getKey(), e.getValue());
            } catch (RuntimeException ex) {
                // One odd metric (a gauge that throws, a name nothing can fix) must not fail the whole scrape.
                LOG.debug("metric {} left out of the Prometheus exposition: {}", e.getKey(), ex.toString());
            }
        }
        List<MetricSnapshot> out = new ArrayList<>(families.size());
        for (Family f : families.values()) {
            out.add(snapshot(f));
        }
        return new MetricSnapshots(out);
    }

    private static void add(Map<String, Family> families, String dropwizardName, Metric metric) {
        MetricFamily declared = MetricFamily.of(dropwizardName);
        String name = declared != null ? declared.prometheusName() : sanitize(dropwizardName);
        String labelValue = declared == null ? null : declared.labelValue(dropwizardName);
        Labels labels = labelValue == null ? Labels.EMPTY : Labels.of(declared.label(), labelValue);
        Kind kind;
        DataPointSnapshot point;
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
            String help = declared != null ? declared.help() : dropwizardName + " (Dropwizard " + kind(metric) + ")";
            f = new Family(name, kind, help);
            families.put(name, f);
        } else if (f.kind != kind || !labels.hasSameNames(f.points.get(0).getLabels())) {
            LOG.debug("metric {} clashes with another of Prometheus name {}; left out", dropwizardName, name);
            return;
        }
        f.points.add(point);
    }

    private static String kind(Metric m) {
        return m instanceof Gauge ? "gauge" : m instanceof Timer ? "timer"
                : m instanceof Histogram ? "histogram" : m instanceof Meter ? "meter" : "counter";
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

    /** {@link MetricFamily#sanitize}, then the client library's own check. */
    public static String sanitize(String dropwizardName) {
        return PrometheusNaming.sanitizeMetricName(MetricFamily.sanitize(dropwizardName));
    }
}
