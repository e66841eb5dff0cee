package io.claudemirror.proxy;

import io.claudemirror.FrontDoor;
import io.claudemirror.MirrorRuntime;
import io.claudemirror.config.MirrorConfig;
import io.claudemirror.config.MirrorConfig.AuthMode;
import io.claudemirror.config.MirrorConfig.Upstream;
import io.claudemirror.errors.ErrorResponses;
import io.claudemirror.exchange.Exchange;
import io.claudemirror.exchange.ApiRequest;
import io.claudemirror.exchange.Endpoint;
import io.claudemirror.sse.UsageObserver;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.DispatcherType;
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
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.ClientConnector;
import org.eclipse.jetty.util.ssl.SslContextFactory;

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
    /**
     * ServletContext attribute a host may set to an {@link SslContextFactory.Client} for TLS to the upstreams (trust
     * store, client certificate), before the proxy servlet starts.
     */
    public static final String UPSTREAM_TLS = "claude-mirror.upstreamTls";

    private transient MirrorRuntime runtime;
    private transient MirrorConfig config;
    private transient List<String> upstreamSecrets;
    private boolean tenantsMode;
    private volatile boolean asyncWarned;
    private volatile boolean authWarned;
    private boolean acquired;
    private transient ConnectionWaitMetrics connectionWaits;
    private transient UpstreamCapacity capacity;

    public MirrorProxyServlet() {
    }

    public MirrorProxyServlet(MirrorRuntime runtime) {
        this.runtime = runtime;
    }

    @Override
    public void init(ServletConfig servletConfig) throws ServletException {
        if (runtime == null) {
            Map<String, String> params = new LinkedHashMap<>();
            for (String n : Collections.list(servletConfig.getInitParameterNames())) {
                params.put(n, servletConfig.getInitParameter(n));
            }
            runtime = MirrorRuntime.acquire(servletConfig.getServletContext(), params);
            acquired = true;
        }
        config = runtime.config();
        connectionWaits = runtime.service(ConnectionWaitMetrics.class, ConnectionWaitMetrics::new);
        capacity = new UpstreamCapacity(config.proxy().maxConnectionsPerUpstream(), config.upstreams().size());
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

    @Override
    public void destroy() {
        super.destroy();
        if (acquired) {
            runtime.release();
        }
    }

    UpstreamCapacity capacity() {
        return capacity;
    }

    ConnectionWaitMetrics connectionWaitMetrics() {
        return connectionWaits;
    }

    org.eclipse.jetty.util.thread.Scheduler scheduler() {
        return getHttpClient().getScheduler();
    }

    boolean tenantsMode() {
        return tenantsMode;
    }

    /** One HttpClient per servlet, configured from the mirror's config ({@link UpstreamClient}). */
    @Override
    protected HttpClient createHttpClient() throws ServletException {
        HttpClient client = newHttpClient();
        UpstreamClient.configure(client, config, getServletContext());
        try {
            client.start();
        } catch (Exception e) {
            throw new ServletException("claude-mirror: cannot start the upstream HTTP client", e);
        }
        UpstreamClient.afterStart(client);
        return client;
    }

    /** The transport {@code proxy.http2} asks for ({@link UpstreamTransport}) on Jetty's client connector. */
    @Override
    protected HttpClient newHttpClient(ClientConnector connector) {
        boolean anySecure = config.upstreams().stream().anyMatch(u -> "https".equalsIgnoreCase(u.url().getScheme()));
        return new HttpClient(UpstreamTransport.create(connector, config.proxy().http2(), anySecure));
    }

    /**
     * Jetty's connector, with the host's TLS settings for upstreams when it set the {@link #UPSTREAM_TLS}
     * attribute (a private CA of a regional relay, a client certificate); else the JDK's trust store.
     */
    @Override
    protected ClientConnector newClientConnector() {
        ClientConnector connector = super.newClientConnector();
        if (getServletContext().getAttribute(UPSTREAM_TLS) instanceof SslContextFactory.Client tls) {
            connector.setSslContextFactory(tls);
        }
        return connector;
    }

    @Override
    protected void service(HttpServletRequest request, HttpServletResponse response) throws IOException {
        try {
            FrontDoor.enter(runtime, request, response, FrontDoor.Needs.BODY, "proxy",
                    exchange -> proxy(exchange, request, response));
        } catch (ServletException e) {
            throw new IOException(e);
        }
    }

    private void proxy(Exchange exchange, HttpServletRequest request, HttpServletResponse response) throws IOException {
        if (request.getDispatcherType() != DispatcherType.REQUEST) {
            // A forward or include would skip the filters that were mapped for REQUEST: never proxy it.
            ErrorResponses.write(response, exchange, 404, ErrorResponses.NOT_FOUND, "Not found", 0);
            return;
        }
        if (tenantsMode && exchange.tenant() == null) {
            // Defence in depth: in tenants mode only a request the auth filter admitted may spend the upstream key.
            if (!authWarned) {
                authWarned = true;
                log("claude-mirror: a request reached " + getServletName() + " without a tenant; map the auth "
                        + "filter in front of the proxy");
            }
            ErrorResponses.write(response, exchange, 401, ErrorResponses.AUTHENTICATION,
                    "no valid mirror key was presented", 0);
            return;
        }
        ApiRequest api = exchange.api();
        String base = null;
        if (rewritesResultsUrl(api.endpoint())) {
            base = mirrorBase(request);
            if (base == null) {
                ErrorResponses.write(response, exchange, 400, ErrorResponses.INVALID_REQUEST,
                        "the Host header is not a valid host name", 0);
                return;
            }
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
        if (api.endpoint() == Endpoint.MESSAGES) {
            exchange.addObserver(new UsageObserver());
        }

        AsyncContext async = request.startAsync();
        async.setTimeout(0);
        ProxyExchange px = new ProxyExchange(this, exchange, request, response, async, base);
        // First: the response does not end while an upstream thread is still writing to it.
        async.addListener(px.gate);
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
        px.watch(ClientDisconnects.watch(request, px, scheduler()));
        px.send(null);
    }

    /** The mirror reads usage and restores placeholders: it asks for the plain bytes. */
    private static final HttpField ACCEPT_IDENTITY =
            new org.eclipse.jetty.http.PreEncodedHttpField(HttpHeader.ACCEPT_ENCODING, "identity");

    /** Builds the request for one attempt: target, headers, body, timeouts. */
    Request newUpstreamRequest(HttpServletRequest request, Exchange exchange, Upstream upstream) {
        ApiRequest api = exchange.api();
        // The normalised path and the canonical method: the upstream sees the request the policies decided on.
        Request proxyRequest = getHttpClient().newRequest(upstream.base() + api.pathAndQuery()).method(api.method());
        copyRequestHeaders(request, proxyRequest);
        addProxyHeaders(request, proxyRequest);
        // A tenant with its own credential for this upstream (its own Anthropic workspace) uses it instead.
        String tenantKey = exchange.tenant() == null ? null : exchange.tenant().upstreamKey(upstream.name());
        String apiKey = tenantKey != null ? tenantKey : upstream.apiKey();
        // Added, not put: copyRequestHeaders left out every credential and Accept-Encoding, and put would rescan
        // all the fields each time.
        if (tenantsMode && apiKey != null && !apiKey.isEmpty()) {
            proxyRequest.headers(h -> h.add("x-api-key", apiKey).add(ACCEPT_IDENTITY));
        } else {
            String key = tenantsMode ? null : request.getHeader("x-api-key");
            String auth = tenantsMode ? null : request.getHeader("Authorization");
            // passthrough: the client's own credential goes upstream unchanged.
            proxyRequest.headers(h -> {
                if (key != null) {
                    h.add("x-api-key", key);
                }
                if (auth != null) {
                    h.add(HttpHeader.AUTHORIZATION, auth);
                }
                h.add(ACCEPT_IDENTITY);
            });
        }
        // The body leaves decoded (Content-Encoding is dropped): the bytes the policies read are the bytes sent,
        // and an upstream is never asked to inflate what the mirror already inflated and checked.
        if (exchange.bodyLength() > 0) {
            proxyRequest.body(new ByteBufferRequestContent(request.getContentType(),
                    ByteBuffer.wrap(exchange.body(), 0, exchange.bodyLength())));
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
        // Straight into the upstream request's fields: no intermediate HttpFields copy.
        proxyRequest.headers(fields -> {
            fields.clear();
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
        });
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
    void copyResponseHeaders(HttpServletResponse response, Response upstream, boolean dropLength) {
        HttpFields fields = upstream.getHeaders();
        // setHeader scans (and on Jetty allocates an iterator over) every header already set, once per call: only
        // a name the response already carries needs it; the rest are appended.
        java.util.Collection<String> present = response.getHeaderNames();
        for (int i = 0, n = fields.size(); i < n; i++) {
            HttpField field = fields.getField(i);
            String name = field.getName();
            // By name: HTTP/2 delivers lower-case names, which the same hygiene must catch.
            if (HeaderPolicy.RESPONSE_HOP.contains(name) || HeaderPolicy.dropResponse(name, tenantsMode)
                    || (dropLength && HttpHeader.CONTENT_LENGTH.is(name))) {
                continue;
            }
            if (firstOccurrence(fields, i, name) && containsIgnoreCase(present, name)) {
                response.setHeader(name, field.getValue());
            } else {
                response.addHeader(name, field.getValue());
            }
        }
    }

    private static boolean containsIgnoreCase(java.util.Collection<String> names, String name) {
        if (names.isEmpty()) {
            return false;
        }
        for (String n : names) {
            if (n.equalsIgnoreCase(name)) {
                return true;
            }
        }
        return false;
    }

    private static boolean firstOccurrence(HttpFields fields, int index, String name) {
        for (int j = 0; j < index; j++) {
            if (fields.getField(j).getName().equalsIgnoreCase(name)) {
                return false;
            }
        }
        return true;
    }

    /** Transformers the proxy itself needs for this response: batch URL rewriting, credential-echo masking. */
    void addTransformers(Exchange exchange, String mirrorBase, int status, String contentType) {
        if (status >= 400 && tenantsMode && !upstreamSecrets.isEmpty() && isJson(contentType)) {
            exchange.transformer(new CredentialEchoMasker(upstreamSecrets));
        }
        if (status < 400 && isJson(contentType) && mirrorBase != null) {
            exchange.transformer(new BatchUrlRewriter(mirrorBase));
        }
    }

    /** The endpoints whose answers are batch objects (or pages of them) carrying a {@code results_url}. */
    static boolean rewritesResultsUrl(Endpoint endpoint) {
        return endpoint == Endpoint.BATCH_CREATE || endpoint == Endpoint.BATCH_LIST || endpoint == Endpoint.BATCH
                || endpoint == Endpoint.BATCH_CANCEL;
    }

    /**
     * Where clients reach this mirror: {@code publicBaseUrl} when configured, else the request's own scheme, host
     * and port plus context and mount path. Null when the Host the client sent is not a valid host name.
     */
    String mirrorBase(HttpServletRequest request) {
        if (!config.publicBaseUrl().isEmpty()) {
            return config.publicBaseUrl();
        }
        String host = request.getServerName();
        if (!HostNames.valid(host)) {
            return null;
        }
        String scheme = request.isSecure() ? "https" : "http";
        int port = request.getServerPort();
        boolean defaultPort = port <= 0 || port == 80 && "http".equals(scheme) || port == 443 && "https".equals(scheme);
        String authority = host.indexOf(':') >= 0 && !host.startsWith("[") ? "[" + host + "]" : host;
        return scheme + "://" + authority + (defaultPort ? "" : ":" + port) + request.getContextPath()
                + config.mountPath();
    }

    static boolean isJson(String contentType) {
        return contentType != null && contentType.regionMatches(true, 0, "application/json", 0, 16);
    }
}
