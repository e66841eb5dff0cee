package io.claudemirror.metrics;

import com.codahale.metrics.MetricRegistry;
import io.claudemirror.MirrorRuntime;
import io.claudemirror.exchange.Exchange;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.FilterConfig;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;

/**
 * Records the mirror's metrics ({@link MirrorMetrics}) for every request. Map it early, right after the audit
 * filter, so rejected requests are counted too. Everything is measured when the response has really ended
 * ({@link Exchange#onComplete}), never after {@code chain.doFilter} returns: for a proxied request that is
 * before the upstream has even answered.
 *
 * <p>The registry is the host's: given to the constructor, or found in the ServletContext
 * ({@link MirrorMetrics#REGISTRY_ATTRIBUTES}); without one the filter fails at init rather than record into a
 * registry nobody reports. The runtime comes from the constructor or the context (like the other filters).
 *
 * <p>Unlike the other filters this one implements {@link Filter} directly: it needs the ServletContext at init
 * to find the registry, which {@code MirrorFilter}'s init hook does not pass.
 */
public class MetricsFilter implements Filter {
    /** Request attribute marking a request already counted, so a second pass through the filter adds nothing. */
    private static final String COUNTED = MetricsFilter.class.getName() + ".counted";

    private MirrorRuntime runtime;
    private MetricRegistry registry;
    private MirrorMetrics metrics;

    /** For web.xml: runtime and registry come from the ServletContext. */
    public MetricsFilter() {
    }

    public MetricsFilter(MirrorRuntime runtime, MetricRegistry registry) {
        this.runtime = runtime;
        this.registry = registry;
    }

    @Override
    public void init(FilterConfig filterConfig) throws ServletException {
        if (runtime == null) {
            runtime = MirrorRuntime.from(filterConfig.getServletContext());
        }
        if (registry == null) {
            registry = MirrorMetrics.findRegistry(filterConfig.getServletContext());
        }
        if (registry == null) {
            throw new ServletException(MirrorMetrics.noRegistryMessage("Claude Mirror metrics filter"));
        }
        metrics = MirrorMetrics.forRuntime(runtime, registry);
    }

    /** The metrics this filter records into (after init). */
    public MirrorMetrics metrics() {
        return metrics;
    }

    @Override
    public void doFilter(ServletRequest req, ServletResponse resp, FilterChain chain)
            throws IOException, ServletException {
        if (!(req instanceof HttpServletRequest request) || !(resp instanceof HttpServletResponse response)
                || req.getAttribute(COUNTED) != null) {
            chain.doFilter(req, resp);
            return;
        }
        request.setAttribute(COUNTED, Boolean.TRUE);
        boolean owner = Exchange.isNew(request);
        Exchange exchange = Exchange.open(request);
        RequestWatch watch = metrics.started();
        exchange.addObserver(watch);
        exchange.onComplete(ex -> metrics.completed(ex, watch, System.nanoTime()));
        try {
            chain.doFilter(request, response);
            // Completion cannot have run yet: it is armed by the Exchange's owner after this returns, and an async
            // completion is held back by the container until the dispatch that started it has returned.
            metrics.dispatched(exchange, watch);
        } finally {
            if (owner) {
                exchange.arm(request, response);
            }
        }
    }
}
