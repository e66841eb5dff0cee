package io.claudemirror.metrics;

import com.codahale.metrics.MetricRegistry;
import io.claudemirror.FrontDoor;
import io.claudemirror.MirrorFilter;
import io.claudemirror.MirrorRuntime;
import io.claudemirror.exchange.Exchange;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
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

 */
public class MetricsFilter extends MirrorFilter {
    /** Request attribute marking a request already counted, so a second pass through the filter adds nothing. */
    private static final String COUNTED = MetricsFilter.class.getName() + ".counted";

    private MetricRegistry registry;
    private MirrorMetrics metrics;

    /** For web.xml: runtime and registry come from the ServletContext. */
    public MetricsFilter() {
    }

    public MetricsFilter(MirrorRuntime runtime, MetricRegistry registry) {
        super(runtime);
        this.registry = registry;
    }

    @Override
    protected void init(MirrorRuntime runtime) throws ServletException {
        if (registry == null) {
            registry = MirrorMetrics.findRegistry(servletContext());
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

    /** Counts every request, refused ones included. */
    @Override
    protected FrontDoor.Needs needs() {
        return FrontDoor.Needs.NOTHING;
    }

    @Override
    protected void filter(Exchange exchange, HttpServletRequest request, HttpServletResponse response,
                          FilterChain chain) throws IOException, ServletException {
        if (request.getAttribute(COUNTED) != null) {
            chain.doFilter(request, response);
            return;
        }
        request.setAttribute(COUNTED, Boolean.TRUE);
        RequestWatch watch = metrics.started();
        exchange.addObserver(watch);
        exchange.onComplete(ex -> metrics.completed(ex, watch, System.nanoTime()));
        chain.doFilter(request, response);
        // Completion cannot have run yet: it is armed by the Exchange's owner after this returns, and an async
        // completion is held back by the container until the dispatch that started it has returned.
        metrics.dispatched(exchange, watch);
    }
}
