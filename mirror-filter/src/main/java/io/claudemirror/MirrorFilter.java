package io.claudemirror;

import io.claudemirror.config.ConfigException;
import io.claudemirror.config.ConfigLoader;
import io.claudemirror.errors.ErrorResponses;
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
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(MirrorFilter.class);
    private MirrorRuntime runtime;

    /** For hosts that build the runtime themselves (code or Spring). */
    protected MirrorFilter(MirrorRuntime runtime) {
        this.runtime = runtime;
    }

    /** For web.xml: the runtime comes from the context, or from this filter's own init-params. */
    protected MirrorFilter() {
    }

    @Override
    public final void init(FilterConfig filterConfig) throws ServletException {
        if (runtime == null) {
            runtime = runtimeFor(filterConfig.getServletContext(), initParams(filterConfig));
        }
        init(runtime);
    }

    /** Hook for subclasses, called once with the runtime. */
    protected void init(MirrorRuntime runtime) throws ServletException {
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
        boolean owner = Exchange.isNew(request);
        Exchange exchange = Exchange.open(request);
        try {
            filter(exchange, request, response, chain);
        } catch (RuntimeException e) {
            // Never the container's HTML error page: a client SDK must get the envelope it can parse.
            LOG.error("{} {} failed", exchange.requestId(), getClass().getSimpleName(), e);
            if (!request.isAsyncStarted()) {
                ErrorResponses.write(response, exchange, 500, ErrorResponses.API_ERROR,
                        "internal error in the mirror", 0);
            }
        } finally {
            if (owner) {
                exchange.arm(request, response);
            }
        }
    }

    /** The filter's work; call {@code chain.doFilter} to continue, or answer with {@code ErrorResponses}. */
    protected abstract void filter(Exchange exchange, HttpServletRequest request, HttpServletResponse response,
                                   FilterChain chain) throws IOException, ServletException;

    static Map<String, String> initParams(FilterConfig fc) {
        Map<String, String> m = new LinkedHashMap<>();
        for (String n : Collections.list(fc.getInitParameterNames())) {
            m.put(n, fc.getInitParameter(n));
        }
        return m;
    }

    /**
     * The context's runtime; if there is none and {@code params} configure one, builds it from them and
     * registers it on the context so the other components share it.
     */
    static MirrorRuntime runtimeFor(jakarta.servlet.ServletContext context, Map<String, String> params)
            throws ServletException {
        synchronized (context) {
            Object existing = context.getAttribute(MirrorRuntime.ATTRIBUTE);
            if (existing != null) {
                return (MirrorRuntime) existing;
            }
            if (params.isEmpty()) {
                return MirrorRuntime.from(context);
            }
            try {
                MirrorRuntime r = new MirrorRuntime(ConfigLoader.fromProperties(params, System.getenv()));
                context.setAttribute(MirrorRuntime.ATTRIBUTE, r);
                return r;
            } catch (ConfigException e) {
                throw new ServletException(e.getMessage(), e);
            }
        }
    }
}
