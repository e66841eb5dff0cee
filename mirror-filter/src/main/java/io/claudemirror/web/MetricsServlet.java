package io.claudemirror.web;

import com.codahale.metrics.MetricFilter;
import com.codahale.metrics.MetricRegistry;
import io.claudemirror.MirrorRuntime;
import io.claudemirror.metrics.MirrorMetrics;
import io.claudemirror.metrics.PrometheusExposition;
import jakarta.servlet.ServletConfig;
import jakarta.servlet.ServletContext;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;

/**
 * {@code GET {mountPath}/metrics}: the registry's metrics for Prometheus, served by the client library's own
 * servlet over a {@link io.claudemirror.metrics.DropwizardCollector} (names, labels and HELP from the mirror's
 * {@link io.claudemirror.metrics.MetricFamily} declarations): text format 0.0.4 by default, OpenMetrics when the
 * scraper asks for it in {@code Accept}, gzip when it accepts it, and {@code ?name[]=…} to select metrics. By default only the mirror's own metrics
 * ({@code claude.mirror.*}); with the init-param {@value #EXPORT_PARAM}{@code =all} every metric of the registry,
 * the host's included.
 *
 * <p>The registry comes from the constructor, else the ServletContext attributes
 * {@link MirrorMetrics#REGISTRY_ATTRIBUTES}, else the one the mirror's metrics filter records into; without any
 * the servlet fails at init. Only an admin ({@link AdminGate}: {@code admin.keys}, or loopback with
 * {@code admin.trustLoopback}) may scrape. It needs {@code io.prometheus:prometheus-metrics-exporter-servlet-jakarta} on the
 * class path (an optional dependency of the library); without it, init fails with a message saying so.
 */
public class MetricsServlet extends HttpServlet {
    /** Init-param: {@code mirror} (default) or {@code all}. */
    public static final String EXPORT_PARAM = "export";
    /** A class of the optional Prometheus dependency, probed before any of it is touched. */
    static final String PROMETHEUS_CLASS = "io.prometheus.metrics.exporter.servlet.jakarta.PrometheusMetricsServlet";

    private static final long serialVersionUID = 1L;

    private transient MetricRegistry registry;
    private transient MirrorRuntime runtime;
    /** The library's servlet; typed as HttpServlet so this class loads without the optional dependency. */
    private transient HttpServlet scrape;

    public MetricsServlet() {
    }

    public MetricsServlet(MetricRegistry registry) {
        this.registry = registry;
    }

    /** Whether the optional Prometheus dependency is on the class path of this library. */
    public static boolean available() {
        try {
            Class.forName(PROMETHEUS_CLASS, false, MetricsServlet.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }

    @Override
    public void init(ServletConfig config) throws ServletException {
        super.init(config);
        if (!available()) {
            throw new ServletException("Claude Mirror metrics servlet: add io.prometheus:"
                    + "prometheus-metrics-exporter-servlet-jakarta (1.4.x) to the application for the Prometheus "
                    + "exposition; the Dropwizard metrics are recorded without it");
        }
        ServletContext context = config.getServletContext();
        if (registry == null) {
            registry = MirrorMetrics.findRegistry(context);
        }
        if (context.getAttribute(MirrorRuntime.ATTRIBUTE) instanceof MirrorRuntime r) {
            runtime = r;
        }
        if (runtime == null) {
            throw new ServletException("Claude Mirror metrics servlet: no mirror runtime in this context, so no "
                    + "admin.* settings to guard the exposition with; register the mirror first");
        }
        if (registry == null) {
            MirrorMetrics m = runtime.serviceIfPresent(MirrorMetrics.class);
            registry = m == null ? null : m.registry();
        }
        if (registry == null) {
            throw new ServletException("Claude Mirror metrics servlet: no Dropwizard MetricRegistry found. Pass one "
                    + "to the constructor or set the ServletContext attribute \"" + MirrorMetrics.REGISTRY_ATTRIBUTE
                    + "\" before the context starts.");
        }
        String export = config.getInitParameter(EXPORT_PARAM);
        MetricFilter filter;
        if (export == null || export.isBlank() || export.equals("mirror")) {
            filter = PrometheusExposition.mirrorOnly();
        } else if (export.equals("all")) {
            filter = MetricFilter.ALL;
        } else {
            throw new ServletException(EXPORT_PARAM + ": '" + export + "' is not one of mirror, all");
        }
        scrape = Exporter.create(registry, filter);
        scrape.init(config);
    }

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws ServletException, IOException {
        // Tenant ids, upstream names and failure reasons are the operator's: admin key or trusted loopback only.
        if (!AdminGate.allowed(runtime, req)) {
            AdminGate.deny(resp);
            return;
        }
        resp.setHeader("Cache-Control", "no-store");
        // The library renders into a buffer first, so a scrape that fails halfway is a 500, not a truncated 200.
        scrape.service(req, resp);
    }

    @Override
    public void destroy() {
        if (scrape != null) {
            scrape.destroy();
        }
        super.destroy();
    }

    /**
     * Every reference to the optional Prometheus classes lives here: the JVM verifies a class's methods when it
     * loads it, and assigning the library's servlet to an {@code HttpServlet} field makes it load that servlet
     * class. Kept out of {@code MetricsServlet} itself, a host without the dependency can still load it (and
     * {@code ClaudeMirror.install} can ask {@link #available()}); this holder is loaded only on first use.
     */
    private static final class Exporter {
        static HttpServlet create(MetricRegistry registry, MetricFilter filter) {
            return new io.prometheus.metrics.exporter.servlet.jakarta.PrometheusMetricsServlet(
                    new PrometheusExposition(registry, filter).registry());
        }
    }
}
