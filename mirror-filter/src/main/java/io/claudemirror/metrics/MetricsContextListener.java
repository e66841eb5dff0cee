package io.claudemirror.metrics;

import com.codahale.metrics.MetricRegistry;
import jakarta.servlet.ServletContextEvent;
import jakarta.servlet.ServletContextListener;

/**
 * For web.xml hosts that have no Dropwizard registry of their own: publishes a new {@link MetricRegistry} as the
 * context attribute {@link MirrorMetrics#REGISTRY_ATTRIBUTE}, where the metrics filter and servlet find it.
 * Declaring it is the host's explicit choice; without it (and without a registry of the host's) the metrics
 * filter fails at init instead of recording into a registry nobody reads. A host that already published a
 * registry (under any key of {@link MirrorMetrics#REGISTRY_ATTRIBUTES}) keeps its own: this listener then does
 * nothing.
 */
public class MetricsContextListener implements ServletContextListener {
    @Override
    public void contextInitialized(ServletContextEvent sce) {
        if (MirrorMetrics.findRegistry(sce.getServletContext()) == null) {
            sce.getServletContext().setAttribute(MirrorMetrics.REGISTRY_ATTRIBUTE, new MetricRegistry());
        }
    }
}
