package io.claudemirror.proxy;

import io.claudemirror.MirrorRuntime;
import io.claudemirror.config.ConfigException;
import io.claudemirror.config.ConfigLoader;
import io.claudemirror.config.MirrorConfig;
import io.claudemirror.config.MirrorConfig.AuthMode;
import io.claudemirror.config.MirrorConfig.Upstream;
import io.claudemirror.errors.ErrorResponses;
import io.claudemirror.exchange.Exchange;
import io.claudemirror.exchange.RequestBodies;
import io.claudemirror.sse.UsageObserver;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.ServletConfig;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.client.ByteBufferRequestContent;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.client.Response;
import org.eclipse.jetty.ee10.proxy.AsyncProxyServlet;
import org.eclipse.jetty.http.HttpCookieStore;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * The mirror's reverse proxy: {@code {mountPath}/v1/*} to {@code {upstream}/v1/*}, built on Jetty's
 * {@link AsyncProxyServlet} (non-blocking both ways, so a thousand streams do not need a thousand threads) and
 * usable in any Servlet 6 container. It replaces the stock request flow with one that sends the buffered body,
 * fails over before the first byte, flushes every chunk and ends broken streams with an SSE error event.
 *
 * <p>Registered {@code asyncSupported}; the runtime comes from the constructor, the ServletContext, or this
 * servlet's own init-params (same keys as the YAML file, e.g. {@code config=/etc/mirror.yaml}).
 */
public class MirrorProxyServlet extends AsyncProxyServlet {
    private static final long serialVersionUID = 1L;
    private static final String PROXY_EXCHANGE = ProxyExchange.class.getName();

    private transient MirrorRuntime runtime;
    private transient MirrorConfig config;
    private transient List<String> upstreamSecrets;
    private boolean tenantsMode;
    private volatile boolean asyncWarned;

    public MirrorProxyServlet() {
    }

    public MirrorProxyServlet(MirrorRuntime runtime) {
        this.runtime = runtime;
    }

    @Override
    public void init(ServletConfig servletConfig) throws ServletException {
        if (runtime == null) {
            Object r = servletConfig.getServletContext().getAttribute(MirrorRuntime.ATTRIBUTE);
            if (r == null && servletConfig.getInitParameterNames().hasMoreElements()) {
                Map<String, String> params = new LinkedHashMap<>();
                for (String n : Collections.list(servletConfig.getInitParameterNames())) {
                    params.put(n, servletConfig.getInitParameter(n));
                }
                try {
                    r = new MirrorRuntime(ConfigLoader.fromProperties(params, System.getenv()));
                } catch (ConfigException e) {
                    throw new ServletException(e.getMessage(), e);
                }
                servletConfig.getServletContext().setAttribute(MirrorRuntime.ATTRIBUTE, r);
            }
            runtime = r != null ? (MirrorRuntime) r : MirrorRuntime.from(servletConfig.getServletContext());
        }
        config = runtime.config();
        tenantsMode = config.auth().mode() == AuthMode.TENANTS;
        List<String> secrets = new ArrayList<>();
        for (Upstream u : config.upstreams()) {
            if (u.apiKey() != null && !u.apiKey().isEmpty()) {
                secrets.add(u.apiKey());
            }
        }
        for (MirrorConfig.Tenant t : config.tenants()) {
            secrets.addAll(t.upstreamKeys().values()); // a tenant's own upstream key is masked in echoes too
        }
        upstreamSecrets = List.copyOf(secrets);
        super.init(servletConfig);
    }

    public MirrorRuntime runtime() {
        return runtime;
    }

    org.eclipse.jetty.util.thread.Scheduler scheduler() {
        return getHttpClient().getScheduler();
    }

    boolean tenantsMode() {
        return tenantsMode;
    }

    /**
     * One HttpClient per servlet, configured from the mirror's config rather than init-params: its own thread
     * pool (so Tomcat needs no Jetty executor), no cookies, no redirects, no content decoding (bytes pass
     * through as the upstream sent them), no protocol handlers (a 401 must reach the client, not be retried).
     */
    @Override
    protected HttpClient createHttpClient() throws ServletException {
        HttpClient client = newHttpClient();
        client.setFollowRedirects(false);
        client.setHttpCookieStore(new HttpCookieStore.Empty());
        QueuedThreadPool threads = new QueuedThreadPool(config.proxy().maxThreads());
        threads.setName("claude-mirror-client");
        threads.setDaemon(true);
        client.setExecutor(threads);
        client.setMaxConnectionsPerDestination(config.proxy().maxConnectionsPerUpstream());
        client.setMaxRequestsQueuedPerDestination(Math.max(1024, config.proxy().maxConnectionsPerUpstream() * 4));
        long connect = config.timeouts().connect().toMillis();
        if (connect > 0) {
            client.setConnectTimeout(connect);
        }
        long idle = config.timeouts().idle().toMillis();
        client.setIdleTimeout(idle > 0 ? idle : 0);
        client.setUserAgentField(null);
        // Heap buffers: upstream chunks then have an array the servlet output can write without a copy.
        client.setUseInputDirectByteBuffers(false);
        client.setUseOutputDirectByteBuffers(false);
        client.setRequestBufferSize(16 * 1024);
        client.setResponseBufferSize(16 * 1024);
        try {
            client.start();
        } catch (Exception e) {
            throw new ServletException("claude-mirror: cannot start the upstream HTTP client", e);
        }
        client.getContentDecoderFactories().clear();
        client.getProtocolHandlers().clear();
        return client;
    }

    @Override
    protected void service(HttpServletRequest request, HttpServletResponse response) throws IOException {
        boolean owner = Exchange.isNew(request);
        Exchange exchange = Exchange.open(request);
        try {
            proxy(exchange, request, response);
        } catch (RuntimeException e) {
            log("claude-mirror: " + exchange.requestId() + " proxy failed", e);
            if (!request.isAsyncStarted()) {
                ErrorResponses.write(response, exchange, 500, ErrorResponses.API_ERROR, "internal error in the mirror", 0);
            }
        } finally {
            if (owner) {
                exchange.arm(request, response);
            }
        }
    }

    private void proxy(Exchange exchange, HttpServletRequest request, HttpServletResponse response) throws IOException {
        String path = request.getRequestURI().substring(request.getContextPath().length());
        String mount = config.mountPath();
        if (!path.startsWith(mount) || !(path.startsWith("/v1/", mount.length()) || path.length() == mount.length() + 3
                && path.endsWith("/v1"))) {
            ErrorResponses.write(response, exchange, 404, ErrorResponses.NOT_FOUND, "Not found", 0);
            return;
        }
        String query = request.getQueryString();
        String pathAndQuery = query == null ? path.substring(mount.length()) : path.substring(mount.length()) + "?" + query;
        try {
            RequestBodies.read(exchange, request, config.maxRequestBytes());
        } catch (RequestBodies.TooLargeException e) {
            ErrorResponses.write(response, exchange, 413, ErrorResponses.REQUEST_TOO_LARGE, e.getMessage(), 0);
            return;
        } catch (IOException e) {
            ErrorResponses.write(response, exchange, 400, ErrorResponses.INVALID_REQUEST,
                    "could not read the request body", 0);
            return;
        }
        // A compressed body is forwarded as sent; only a plain JSON body can be checked here.
        if (exchange.bodyLength() > 0 && isJson(request.getContentType()) && isIdentity(request.getHeader("Content-Encoding"))
                && !exchange.facts().valid()) {
            ErrorResponses.write(response, exchange, 400, ErrorResponses.INVALID_REQUEST, exchange.facts().error(), 0);
            return;
        }
        if (!request.isAsyncSupported()) {
            // A filter in front of the proxy was registered without async support: say so instead of failing
            // obscurely inside startAsync().
            if (!asyncWarned) {
                asyncWarned = true;
                log("claude-mirror: a filter in front of " + getServletName() + " is not async-supported; "
                        + "register every filter on the mirror's path with async-supported=true");
            }
            ErrorResponses.write(response, exchange, 500, ErrorResponses.API_ERROR,
                    "mirror misconfigured: a filter in front of the proxy is not async-supported", 0);
            return;
        }
        if (isMessages(pathAndQuery) && "POST".equals(request.getMethod())) {
            exchange.addObserver(new UsageObserver());
        }

        AsyncContext async = request.startAsync();
        async.setTimeout(0);
        ProxyExchange px = new ProxyExchange(this, exchange, request, response, async, pathAndQuery);
        request.setAttribute(PROXY_EXCHANGE, px);
        async.addListener(new AsyncListener() {
            @Override
            public void onComplete(AsyncEvent event) {
            }

            @Override
            public void onTimeout(AsyncEvent event) {
            }

            @Override
            public void onError(AsyncEvent event) {
                // The client connection failed while we waited: stop the upstream work it asked for.
                px.clientGone();
            }

            @Override
            public void onStartAsync(AsyncEvent event) {
            }
        });
        px.send(null);
    }

    /** Builds the request for one attempt: target, headers, body, timeouts. */
    Request newUpstreamRequest(HttpServletRequest request, Exchange exchange, Upstream upstream, String pathAndQuery) {
        Request proxyRequest = newProxyRequest(request, upstream.base() + pathAndQuery);
        copyRequestHeaders(request, proxyRequest);
        addProxyHeaders(request, proxyRequest);
        // A tenant with its own credential for this upstream (its own Anthropic workspace) uses it instead.
        String tenantKey = exchange.tenant() == null ? null : exchange.tenant().upstreamKey(upstream.name());
        String apiKey = tenantKey != null ? tenantKey : upstream.apiKey();
        if (tenantsMode && apiKey != null && !apiKey.isEmpty()) {
            proxyRequest.headers(h -> h.put("x-api-key", apiKey));
        } else if (!tenantsMode) {
            // passthrough: the client's own credential goes upstream unchanged.
            String key = request.getHeader("x-api-key");
            String auth = request.getHeader("Authorization");
            proxyRequest.headers(h -> {
                if (key != null) {
                    h.put("x-api-key", key);
                }
                if (auth != null) {
                    h.put(HttpHeader.AUTHORIZATION, auth);
                }
            });
        }
        // The mirror reads usage and restores placeholders: it needs the plain bytes.
        proxyRequest.headers(h -> h.put(HttpHeader.ACCEPT_ENCODING, "identity"));
        int length = exchange.bodyLength();
        if (length > 0) {
            proxyRequest.body(new ByteBufferRequestContent(request.getContentType(),
                    ByteBuffer.wrap(exchange.body(), 0, length)));
        }
        long total = config.timeouts().total().toMillis();
        if (total > 0) {
            proxyRequest.timeout(total, TimeUnit.MILLISECONDS);
        }
        long idle = config.timeouts().idle().toMillis();
        if (idle > 0) {
            proxyRequest.idleTimeout(idle, TimeUnit.MILLISECONDS);
        }
        return proxyRequest;
    }

    /**
     * Copies the client's headers in one pass, leaving out hop-by-hop headers, Host, credentials, cookies, the
     * mirror's own control headers and (unless configured) anything that carries the client's address.
     */
    @Override
    protected void copyRequestHeaders(HttpServletRequest clientRequest, Request proxyRequest) {
        Set<String> connectionHeaders = findConnectionHeaders(clientRequest);
        boolean forwardAddress = config.proxy().forwardClientAddress();
        HttpFields.Mutable fields = HttpFields.build();
        for (Enumeration<String> names = clientRequest.getHeaderNames(); names.hasMoreElements(); ) {
            String name = names.nextElement();
            if (HeaderPolicy.REQUEST_DROP.contains(name) || (!forwardAddress && HeaderPolicy.REQUEST_ADDRESS.contains(name))
                    || (connectionHeaders != null && connectionHeaders.contains(name.toLowerCase(Locale.ROOT)))) {
                continue;
            }
            for (Enumeration<String> values = clientRequest.getHeaders(name); values.hasMoreElements(); ) {
                fields.add(name, values.nextElement());
            }
        }
        proxyRequest.headers(h -> h.clear().add(fields));
    }

    /** No Via, no Forwarded: the upstream learns nothing about the client or the mirror's host unless configured. */
    @Override
    protected void addProxyHeaders(HttpServletRequest clientRequest, Request proxyRequest) {
        if (config.proxy().forwardClientAddress()) {
            proxyRequest.headers(h -> h.add("X-Forwarded-For", clientRequest.getRemoteAddr()));
        }
    }

    /**
     * Copies the upstream's response headers in one pass without allocating: hop-by-hop and policy-dropped
     * headers are skipped; the first occurrence of a name replaces anything set earlier (as Jetty 12.1 does),
     * repeats are added.
     */
    void copyResponseHeaders(HttpServletRequest request, HttpServletResponse response, Response upstream) {
        HttpFields fields = upstream.getHeaders();
        ProxyExchange px = (ProxyExchange) request.getAttribute(PROXY_EXCHANGE);
        boolean dropLength = px != null && px.dropContentLength;
        for (int i = 0, n = fields.size(); i < n; i++) {
            HttpField field = fields.getField(i);
            String name = field.getName();
            if (HeaderPolicy.RESPONSE_HOP.contains(name) || HeaderPolicy.dropResponse(name, tenantsMode)
                    || (dropLength && field.getHeader() == HttpHeader.CONTENT_LENGTH)) {
                continue;
            }
            if (firstOccurrence(fields, i, name)) {
                response.setHeader(name, field.getValue());
            } else {
                response.addHeader(name, field.getValue());
            }
        }
    }

    private static boolean firstOccurrence(HttpFields fields, int index, String name) {
        for (int j = 0; j < index; j++) {
            if (fields.getField(j).getName().equalsIgnoreCase(name)) {
                return false;
            }
        }
        return true;
    }

    /** The stock hook, routed to the mirror's own header policy for any caller. */
    @Override
    protected void onServerResponseHeaders(HttpServletRequest clientRequest, HttpServletResponse proxyResponse,
                                           Response serverResponse) {
        copyResponseHeaders(clientRequest, proxyResponse, serverResponse);
    }

    /** Transformers the proxy itself needs for this response: batch URL rewriting, credential-echo masking. */
    void addTransformers(ProxyExchange px, HttpServletRequest request, int status, String contentType) {
        Exchange exchange = px.exchange;
        if (status >= 400 && tenantsMode && !upstreamSecrets.isEmpty() && isJson(contentType)) {
            exchange.transformer(new CredentialEchoMasker(upstreamSecrets));
        }
        String p = px.pathAndQuery();
        if (status < 400 && isJson(contentType) && p.startsWith("/v1/messages/batches") && !p.contains("/results")) {
            exchange.transformer(new BatchUrlRewriter(mirrorBase(request)));
        }
    }

    /** Scheme, authority, context path and mount path as the client reached this mirror. */
    String mirrorBase(HttpServletRequest request) {
        StringBuffer url = request.getRequestURL();
        int pathStart = url.indexOf("/", url.indexOf("//") + 2);
        String origin = pathStart < 0 ? url.toString() : url.substring(0, pathStart);
        return origin + request.getContextPath() + config.mountPath();
    }

    static boolean isIdentity(String contentEncoding) {
        return contentEncoding == null || contentEncoding.isEmpty() || contentEncoding.equalsIgnoreCase("identity");
    }

    static boolean isJson(String contentType) {
        return contentType != null && contentType.regionMatches(true, 0, "application/json", 0, 16);
    }

    static boolean isMessages(String pathAndQuery) {
        return pathAndQuery.startsWith("/v1/messages") && (pathAndQuery.length() == 12
                || pathAndQuery.charAt(12) == '?');
    }
}
