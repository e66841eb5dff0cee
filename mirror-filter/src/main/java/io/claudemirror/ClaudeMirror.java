package io.claudemirror;

import io.claudemirror.auth.AuthFilter;
import io.claudemirror.config.MirrorConfig;
import io.claudemirror.proxy.MirrorProxyServlet;
import io.claudemirror.web.HealthServlet;
import io.claudemirror.web.ProbeServlet;
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
 * Registers, on {@code {mountPath}/v1/*} and in this order, the auth, rate-limit, PII and QoS filters and the
 * proxy servlet (all async-supported); {@code {mountPath}/api/hello} for Claude Code's probe; and
 * {@code {mountPath}/health}. Call it before the context starts (a {@code ServletContainerInitializer}, a
 * {@code ServletContextListener} declared in web.xml, or Spring's {@code ServletContextInitializer}).
 */
public final class ClaudeMirror {
    /** Names the components are registered under, so a host can find or reorder them. */
    public static final String AUTH_FILTER = "claude-mirror-auth";
    public static final String RATE_LIMIT_FILTER = "claude-mirror-rate-limit";
    public static final String PII_FILTER = "claude-mirror-pii";
    public static final String QOS_FILTER = "claude-mirror-qos";
    public static final String PROXY_SERVLET = "claude-mirror-proxy";
    public static final String PROBE_SERVLET = "claude-mirror-probe";
    public static final String HEALTH_SERVLET = "claude-mirror-health";

    private ClaudeMirror() {
    }

    /** Creates the runtime, registers everything, and closes the runtime when the context is destroyed. */
    public static MirrorRuntime install(ServletContext context, MirrorConfig config) {
        MirrorRuntime runtime = new MirrorRuntime(config);
        context.setAttribute(MirrorRuntime.ATTRIBUTE, runtime);
        String mount = config.mountPath();
        String api = mount + "/v1/*";

        filter(context, AUTH_FILTER, new AuthFilter(runtime), api);
        filter(context, RATE_LIMIT_FILTER, new io.claudemirror.ratelimit.RateLimitFilter(runtime), api);
        // PII filter registration (pii helper)
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

        context.addListener(new ServletContextListener() {
            @Override
            public void contextDestroyed(ServletContextEvent sce) {
                runtime.close();
            }
        });
        return runtime;
    }

    private static void filter(ServletContext context, String name, Filter filter, String mapping) {
        FilterRegistration.Dynamic reg = context.addFilter(name, filter);
        // The proxy servlet goes async: every filter in front of it must allow that.
        reg.setAsyncSupported(true);
        reg.addMappingForUrlPatterns(EnumSet.of(DispatcherType.REQUEST), true, mapping);
    }
}
