package io.claudemirror.metrics;

import com.codahale.metrics.MetricFilter;
import com.codahale.metrics.MetricRegistry;
import io.prometheus.metrics.expositionformats.OpenMetricsTextFormatWriter;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.io.OutputStream;

/**
 * A Dropwizard registry in the Prometheus text formats, outside a servlet (tests, a host's own endpoint): a
 * {@link PrometheusRegistry} holding one {@link DropwizardCollector}, written by the client library's writers.
 * {@link io.claudemirror.web.MetricsServlet} serves the same registry through the library's servlet.
 */
public final class PrometheusExposition {
    public static final String CONTENT_TYPE = PrometheusTextFormatWriter.CONTENT_TYPE;

    private final PrometheusRegistry prometheus = new PrometheusRegistry();

    /** Exposes the metrics of {@code registry} that {@code filter} accepts. */
    public PrometheusExposition(MetricRegistry registry, MetricFilter filter) {
        prometheus.register(new DropwizardCollector(registry, filter));
    }

    /** Only the mirror's own metrics ({@code claude.mirror.*}). */
    public static MetricFilter mirrorOnly() {
        return DropwizardCollector.mirrorOnly();
    }

    /** The Prometheus registry, for the library's servlet or HTTP server. */
    public PrometheusRegistry registry() {
        return prometheus;
    }

    /** Text format 0.0.4. */
    public void write(OutputStream out) throws IOException {
        PrometheusTextFormatWriter.create().write(out, prometheus.scrape());
    }

    /** OpenMetrics 1.0 text (ends with {@code # EOF}). */
    public void writeOpenMetrics(OutputStream out) throws IOException {
        OpenMetricsTextFormatWriter.create().write(out, prometheus.scrape());
    }

    static String sanitize(String dropwizardName) {
        return DropwizardCollector.sanitize(dropwizardName);
    }
}
