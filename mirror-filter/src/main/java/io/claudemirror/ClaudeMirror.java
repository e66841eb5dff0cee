package io.claudemirror;

import com.codahale.metrics.MetricRegistry;
import io.claudemirror.audit.AuditFilter;
import io.claudemirror.auth.AuthFilter;
import io.claudemirror.config.MirrorConfig;
import io.claudemirror.metrics.MetricsFilter;
import io.claudemirror.metrics.MirrorMetrics;
import io.claudemirror.proxy.MirrorProxyServlet;
import io.claudemirror.web.HealthServlet;
import io.claudemirror.web.MetricsServlet;
import io.claudemirror.web.ProbeServlet;
import io.claudemirror.web.StatusServlet;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterRegistration;
import jakarta.servlet.ServletContext;
import jakarta.servlet.ServletContextEvent;
import jakarta.servlet.ServletContextListener;
import jakarta.servlet.ServletRegistration;
import java.util.EnumSet;

/**
 * One call that mounts the whole mirror on a ServletContext, for hosts that prefer code to web.xml:
 * <pre>{@code
 * ClaudeMirror.install(servletContext, MirrorConfig.builder()
 *     .upstream("primary", "https://api.anthropic.com", System.getenv("ANTHROPIC_API_KEY"))
 *     .tenant("team-a", "sha256:…")
 *     .build());
 * }</pre>
 * Registers, on {@code {mountPath}/v1/*} and in this order, the audit, metrics, auth, ownership, rate-limit, PII,
 * cache and QoS filters and the proxy servlet (all async-supported); {@code {mountPath}/api/hello} for Claude Code's
 * probe; {@code {mountPath}/health}; {@code {mountPath}/mirror/status} (the status page and its JSON); and
 * {@code {mountPath}/metrics} when the optional Prometheus dependency is present.
 * Call it before the context starts (a {@code ServletContainerInitializer}, a
 * {@code ServletContextListener} declared in web.xml, or Spring's {@code ServletContextInitializer}).
 */
public final class ClaudeMirror {
    /** Names the components are registered under, so a host can find or reorder them. */
    public static final String AUTH_FILTER = "claude-mirror-auth";
    public static final String OWNERSHIP_FILTER = "claude-mirror-ownership";
    public static final String RATE_LIMIT_FILTER = "claude-mirror-rate-limit";
    public static final String PII_FILTER = "claude-mirror-pii";
    public static final String QOS_FILTER = "claude-mirror-qos";
    public static final String CACHE_FILTER = "claude-mirror-cache";
    public static final String PROXY_SERVLET = "claude-mirror-proxy";
    public static final String PROBE_SERVLET = "claude-mirror-probe";
    public static final String HEALTH_SERVLET = "claude-mirror-health";
    public static final String AUDIT_FILTER = "claude-mirror-audit";
    public static final String METRICS_FILTER = "claude-mirror-metrics";
    public static final String METRICS_SERVLET = "claude-mirror-metrics-servlet";
    public static final String STATUS_SERVLET = "claude-mirror-status";

    private ClaudeMirror() {
    }

    /**
     * {@link #install(ServletContext, MirrorConfig, MetricRegistry)} with the host's Dropwizard registry from the
     * context ({@link MirrorMetrics#REGISTRY_ATTRIBUTES}); if the host has none, a new one, published as the
     * context attribute {@link MirrorMetrics#REGISTRY_ATTRIBUTE} so the host can report it.
     */
    public static MirrorRuntime install(ServletContext context, MirrorConfig config) {
        MetricRegistry registry = MirrorMetrics.findRegistry(context);
        if (registry == null) {
            registry = new MetricRegistry();
            context.setAttribute(MirrorMetrics.REGISTRY_ATTRIBUTE, registry);
        }
        return install(context, config, registry);
    }

    /**
     * Creates the runtime, registers everything (metrics into {@code registry}), and closes the runtime when the
     * context is destroyed.
     */
    public static MirrorRuntime install(ServletContext context, MirrorConfig config, MetricRegistry registry) {
        MirrorRuntime runtime = new MirrorRuntime(config);
        install(context, runtime, registry);
        context.addListener(new ServletContextListener() {
            @Override
            public void contextDestroyed(ServletContextEvent sce) {
                runtime.close();
            }
        });
        return runtime;
    }

    /**
     * Registers everything for a runtime the caller owns (a Spring bean, say): the caller closes it, this
     * method does not hook it to the context's end.
     */
    public static void install(ServletContext context, MirrorRuntime runtime, MetricRegistry registry) {
        MirrorConfig config = runtime.config();
        context.setAttribute(MirrorRuntime.ATTRIBUTE, runtime);
        String mount = config.mountPath();
        String api = mount + "/v1/*";

        // First: rejected requests (401, 413, 429…) are audited and counted too.
        filter(context, AUDIT_FILTER, new AuditFilter(runtime), api);
        filter(context, METRICS_FILTER, new MetricsFilter(runtime, registry), api);
        filter(context, AUTH_FILTER, new AuthFilter(runtime), api);
        // Right after auth: another tenant's file or batch id is refused before it costs a limit or a scan.
        filter(context, OWNERSHIP_FILTER, new io.claudemirror.ownership.OwnershipFilter(runtime), api);
        filter(context, RATE_LIMIT_FILTER, new io.claudemirror.ratelimit.RateLimitFilter(runtime), api);
        filter(context, PII_FILTER, new io.claudemirror.pii.PiiFilter(runtime), api);
        // After PII: the key is the body the upstream would get, and a hit is restored with this request's vault.
        filter(context, CACHE_FILTER, new io.claudemirror.cache.CacheFilter(runtime), api);
        // Last before the proxy: whatever an earlier filter answered (a cache hit) never queues.
        filter(context, QOS_FILTER, new io.claudemirror.ratelimit.QosFilter(runtime), api);

        ServletRegistration.Dynamic proxy = context.addServlet(PROXY_SERVLET, new MirrorProxyServlet(runtime));
        proxy.setAsyncSupported(true);
        proxy.setLoadOnStartup(1);
        proxy.addMapping(api);

        ServletRegistration.Dynamic probe = context.addServlet(PROBE_SERVLET, new ProbeServlet());
        probe.addMapping(mount + "/api/hello");

        ServletRegistration.Dynamic health = context.addServlet(HEALTH_SERVLET, new HealthServlet(runtime));
        health.addMapping(mount + "/health");

        ServletRegistration.Dynamic status = context.addServlet(STATUS_SERVLET, new StatusServlet(runtime));
        status.addMapping(mount + "/mirror/status", mount + "/mirror/status" + StatusServlet.JSON_SUFFIX);

        // The Prometheus exposition needs an optional dependency; the Dropwizard metrics work without it.
        if (MetricsServlet.available()) {
            ServletRegistration.Dynamic metrics = context.addServlet(METRICS_SERVLET, new MetricsServlet(registry));
            metrics.addMapping(mount + "/metrics");
        }
    }

    private static void filter(ServletContext context, String name, Filter filter, String mapping) {
        FilterRegistration.Dynamic reg = context.addFilter(name, filter);
        // The proxy servlet goes async: every filter in front of it must allow that.
        reg.setAsyncSupported(true);
        reg.addMappingForUrlPatterns(EnumSet.of(DispatcherType.REQUEST), true, mapping);
    }
}
