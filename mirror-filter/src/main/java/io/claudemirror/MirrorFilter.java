package io.claudemirror;

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
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Base of the mirror's filters: finds the shared {@link MirrorRuntime}, opens the request's {@link Exchange},
 * and, when this filter created the Exchange, arms its completion after the chain returns. Every filter must be
 * registered {@code asyncSupported}: the proxy servlet behind it starts async processing.
 */
public abstract class MirrorFilter implements Filter {
    private MirrorRuntime runtime;
    private boolean acquired;
    private jakarta.servlet.ServletContext context;

    /** For hosts that build the runtime themselves (code or Spring). */
    protected MirrorFilter(MirrorRuntime runtime) {
        this.runtime = runtime;
    }

    /** For web.xml: the runtime comes from the context, or from this filter's own init-params. */
    protected MirrorFilter() {
    }

    @Override
    public final void init(FilterConfig filterConfig) throws ServletException {
        context = filterConfig.getServletContext();
        if (runtime == null) {
            runtime = MirrorRuntime.acquire(filterConfig.getServletContext(), initParams(filterConfig));
            acquired = true;
        }
        init(runtime);
    }

    /** Hook for subclasses, called once with the runtime. */
    protected void init(MirrorRuntime runtime) throws ServletException {
    }

    /** The context this filter was initialised in (after {@code init}). */
    protected final jakarta.servlet.ServletContext servletContext() {
        return context;
    }

    protected final MirrorRuntime runtime() {
        return runtime;
    }

    @Override
    public final void doFilter(ServletRequest req, ServletResponse resp, FilterChain chain)
            throws IOException, ServletException {
        if (!(req instanceof HttpServletRequest request) || !(resp instanceof HttpServletResponse response)) {
            chain.doFilter(req, resp);
            return;
        }
        FrontDoor.enter(runtime, request, response, needs(), getClass().getSimpleName(),
                exchange -> filter(exchange, request, response, chain));
    }

    /**
     * What this filter needs before it runs; by default the whole body, read once and before any slot is taken.
     * A filter that only observes answers {@link FrontDoor.Needs#NOTHING}, one that decides on headers alone
     * {@link FrontDoor.Needs#LINE}.
     */
    protected FrontDoor.Needs needs() {
        return FrontDoor.Needs.BODY;
    }

    @Override
    public void destroy() {
        if (acquired) {
            runtime.release();
        }
    }

    /** The filter's work; call {@code chain.doFilter} to continue, or answer with {@code ErrorResponses}. */
    protected abstract void filter(Exchange exchange, HttpServletRequest request, HttpServletResponse response,
                                   FilterChain chain) throws IOException, ServletException;

    static Map<String, String> initParams(FilterConfig fc) {
        Map<String, String> m = new LinkedHashMap<>();
        java.util.Enumeration<String> names = fc.getInitParameterNames();
        for (String n : names == null ? java.util.List.<String>of() : Collections.list(names)) {
            m.put(n, fc.getInitParameter(n));
        }
        return m;
    }
}
