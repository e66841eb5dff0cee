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
import java.io.ByteArrayOutputStream;
import java.io.IOException;

/**
 * {@code GET {mountPath}/metrics}: the registry's metrics in the Prometheus text exposition format 0.0.4 (see
 * {@link PrometheusExposition} for the naming). By default only the mirror's own metrics
 * ({@code claude.mirror.*}); with the init-param {@value #EXPORT_PARAM}{@code =all} every metric of the registry,
 * the host's included.
 *
 * <p>The registry comes from the constructor, else the ServletContext attributes
 * {@link MirrorMetrics#REGISTRY_ATTRIBUTES}, else the one the mirror's metrics filter records into; without any
 * the servlet fails at init. It needs {@code io.prometheus:prometheus-metrics-exposition-textformats} on the
 * class path (an optional dependency of the library); without it, init fails with a message saying so.
 */
public class MetricsServlet extends HttpServlet {
    /** Init-param: {@code mirror} (default) or {@code all}. */
    public static final String EXPORT_PARAM = "export";
    private transient MirrorRuntime runtime;
    /** A class of the optional Prometheus dependency, probed before any of it is touched. */
    static final String PROMETHEUS_CLASS = "io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter";

    private static final long serialVersionUID = 1L;

    private transient MetricRegistry registry;
    private transient PrometheusExposition exposition;

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
                    + "prometheus-metrics-exposition-textformats (1.4.x) to the application for the Prometheus "
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
        exposition = new PrometheusExposition(registry, filter);
    }

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        if (runtime != null && !AdminGate.allowed(runtime, req)) {
            AdminGate.deny(resp);
            return;
        }
        // Rendered in memory first: a scrape that fails halfway must be a 500, not a truncated 200.
        ByteArrayOutputStream body = new ByteArrayOutputStream(16 * 1024);
        exposition.write(body);
        resp.setStatus(200);
        resp.setContentType(PrometheusExposition.CONTENT_TYPE);
        resp.setHeader("Cache-Control", "no-store");
        resp.setContentLength(body.size());
        body.writeTo(resp.getOutputStream());
    }
}
