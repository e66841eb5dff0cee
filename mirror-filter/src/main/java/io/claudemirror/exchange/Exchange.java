package io.claudemirror.exchange;

import io.claudemirror.config.MirrorConfig;
import io.claudemirror.config.MirrorConfig.Tenant;
import io.claudemirror.exchange.ApiRequest.Refusal;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Everything the mirror knows about one request, shared by its filters and the proxy servlet through a
 * request attribute. Whichever component sees the request first creates it ({@link #open}), so every filter
 * also works alone. Work that must happen after the proxied response has really ended (audit, metrics, token
 * reconciliation, permit release) hangs on {@link #onComplete}: code after {@code chain.doFilter} runs before
 * an asynchronous proxy response exists.
 */
public final class Exchange {
    /** The request attribute holding the Exchange. */
    public static final String ATTRIBUTE = Exchange.class.getName();

    private static final Logger LOG = LoggerFactory.getLogger(Exchange.class);
    private static final char[] ID_CHARS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".toCharArray();

    private final String requestId;
    private final long startNanos = System.nanoTime();
    private final long startMillis = System.currentTimeMillis();
    private final HttpServletRequest request;
    private final AtomicBoolean completed = new AtomicBoolean();

    private volatile Tenant tenant;
    private ApiRequest api;
    private final MirrorConfig config;
    private volatile byte[] body;
    private int bodyLength = -1;
    private String contentEncoding;
    private boolean bodyEdited;
    private Refusal refusal;
    private volatile boolean modelWithheld;
    private RequestFacts facts;
    private volatile String resourceId;
    private volatile String upstream;
    private volatile String upstreamRequestId;
    private volatile int attempts;
    private volatile int status;
    private volatile String errorType;
    private volatile String cacheStatus;
    private volatile long firstByteNanos;
    private volatile boolean clientAborted;
    private final Usage usage = new Usage();
    private Map<String, Integer> piiFindings;
    private List<ResponseObserver> observers;
    private ResponseTransformer transformer;
    private List<ResponseHeaderContributor> headerContributors;
    private List<Consumer<Exchange>> completion;

    private Exchange(HttpServletRequest request, MirrorConfig config) {
        this.request = request;
        this.config = config;
        this.requestId = newRequestId();
        ApiRequest.Parsed parsed = ApiRequest.parse(request.getMethod(), request.getRequestURI(),
                request.getQueryString(), request.getContextPath(), config.mountPath());
        this.api = parsed.request();
        this.refusal = parsed.refusal();
    }

    /** Adds headers to every response of this exchange, proxied or written by the mirror itself. */
    @FunctionalInterface
    public interface ResponseHeaderContributor {
        void addHeaders(Exchange exchange, HttpServletResponse response);
    }

    /** Returns the request's Exchange, or null if no mirror component has seen the request yet. */
    public static Exchange get(ServletRequest request) {
        return (Exchange) request.getAttribute(ATTRIBUTE);
    }

    /**
     * Returns the request's Exchange, creating it if needed: the front door. Creating it normalises and
     * classifies the request line once ({@link #api()}, or {@link #refusal()} when it cannot be classified
     * safely). The creator must call {@link #arm} once its own processing returned, so completion callbacks run
     * when the response has really ended.
     */
    public static Exchange open(HttpServletRequest request, MirrorConfig config) {
        Exchange ex = get(request);
        if (ex == null) {
            ex = new Exchange(request, config);
            request.setAttribute(ATTRIBUTE, ex);
        }
        return ex;
    }

    /** True when {@code request} has no Exchange yet, i.e. the caller will be its owner. */
    public static boolean isNew(ServletRequest request) {
        return request.getAttribute(ATTRIBUTE) == null;
    }

    /**
     * Called by the owner after its chain returned: completes now if the response is synchronous, or when
     * the asynchronous response completes. Safe even if the async context completed already: both containers
     * keep {@code isAsyncStarted()} true until the original dispatch returns.
     */
    public void arm(HttpServletRequest req, HttpServletResponse resp) {
        if (req.isAsyncStarted()) {
            req.getAsyncContext().addListener(new AsyncListener() {
                @Override
                public void onComplete(AsyncEvent event) {
                    complete(resp.getStatus());
                }

                @Override
                public void onTimeout(AsyncEvent event) {
                    // The proxy disables the async timeout; onComplete follows anyway.
                }

                @Override
                public void onError(AsyncEvent event) {
                    clientAborted = true;
                }

                @Override
                public void onStartAsync(AsyncEvent event) {
                }
            });
        } else {
            complete(resp.getStatus());
        }
    }

    private void complete(int finalStatus) {
        if (!completed.compareAndSet(false, true)) {
            return;
        }
        if (status == 0) {
            status = finalStatus;
        }
        List<Consumer<Exchange>> callbacks;
        synchronized (this) {
            callbacks = completion == null ? Collections.emptyList() : new ArrayList<>(completion);
        }
        for (Consumer<Exchange> c : callbacks) {
            try {
                c.accept(this);
            } catch (RuntimeException e) {
                LOG.warn("{} completion callback failed", requestId, e);
            }
        }
    }

    /** Runs {@code callback} once, when the response has ended (success, error, timeout or client abort). */
    public synchronized void onComplete(Consumer<Exchange> callback) {
        if (completion == null) {
            completion = new ArrayList<>(4);
        }
        completion.add(callback);
    }

    public synchronized void addObserver(ResponseObserver observer) {
        if (observers == null) {
            observers = new ArrayList<>(4);
        }
        observers.add(observer);
    }

    public synchronized List<ResponseObserver> observers() {
        return observers == null ? Collections.emptyList() : observers;
    }

    public synchronized void addHeaderContributor(ResponseHeaderContributor contributor) {
        if (headerContributors == null) {
            headerContributors = new ArrayList<>(2);
        }
        headerContributors.add(contributor);
    }

    /** Applies every contributor's headers; called by the proxy and by the error writer. */
    public void contributeHeaders(HttpServletResponse response) {
        List<ResponseHeaderContributor> list;
        synchronized (this) {
            if (headerContributors == null) {
                return;
            }
            list = headerContributors;
        }
        for (ResponseHeaderContributor c : list) {
            c.addHeaders(this, response);
        }
    }

    /**
     * Adds a response body transformer. Several compose in the order added: the first sees the upstream's
     * bytes, each later one the output of the one before.
     */
    public synchronized void transformer(ResponseTransformer t) {
        transformer = transformer == null || t == null ? t : new CompositeTransformer(transformer, t);
    }

    public synchronized ResponseTransformer transformer() {
        return transformer;
    }

    // ---- request side ----

    public String requestId() {
        return requestId;
    }

    public HttpServletRequest request() {
        return request;
    }

    public long startNanos() {
        return startNanos;
    }

    public long startMillis() {
        return startMillis;
    }

    /**
     * The request line as the front door normalised and classified it; every policy decides on this, never on
     * the servlet request's method or URI.
     */
    public ApiRequest api() {
        return api;
    }

    public Tenant tenant() {
        return tenant;
    }

    public void tenant(Tenant t) {
        tenant = t;
    }

    /** The tenant id for records and metrics: the tenant's, or {@code -} when unknown. */
    public String tenantId() {
        Tenant t = tenant;
        return t == null ? "-" : t.id();
    }

    /**
     * Why the request is refused (its line could not be classified safely, or its body was too large, stalled,
     * could not be decoded or is not valid JSON), or null. A refused request never reaches the upstream.
     */
    public Refusal refusal() {
        return refusal;
    }

    public boolean hasBody() {
        return body != null;
    }

    /**
     * Reads and decodes the body once, before any slot is taken ({@link BodyReader}), and checks the JSON facts
     * the endpoint needs. Returns null when the request may go on, else the refusal to answer with (also kept
     * in {@link #refusal()}). Later calls return at once.
     */
    public Refusal readBody() {
        if (refusal != null || body != null) {
            return refusal;
        }
        try {
            BodyReader.Body b = BodyReader.read(request.getInputStream(), request.getContentLengthLong(),
                    request.getHeader("Content-Encoding"), config.maxRequestBytes(),
                    config.timeouts().bodyRead().toNanos(), startNanos);
            contentEncoding = b.encoding();
            body = b.decoded();
            bodyLength = b.decodedLength();
        } catch (BodyReader.Refused e) {
            refusal = e.refusal;
            return refusal;
        } catch (java.io.IOException e) {
            refusal = new Refusal(400, "invalid_request_error", "the request body could not be read");
            return refusal;
        }
        refusal = RequestFacts.check(api, request.getContentType(), facts());
        return refusal;
    }

    /** The decoded request body (what policies read and, when edited, what goes upstream); after {@link #readBody}. */
    public byte[] body() {
        return body;
    }

    public int bodyLength() {
        return bodyLength;
    }

    /** The {@code Content-Encoding} the body arrived with ({@code gzip}, {@code deflate}), or null. */
    public String contentEncoding() {
        return contentEncoding;
    }

    /** True when a filter replaced the body (PII redaction or masking). */
    public boolean bodyEdited() {
        return bodyEdited;
    }

    /** Replaces the body that goes upstream (PII redaction); the facts stay those of the body as read. */
    public synchronized void body(byte[] bytes, int length) {
        this.body = bytes;
        this.bodyLength = length;
        this.bodyEdited = true;
    }

    /** The body's {@code model} value carries personal data: records must not repeat it. */
    public void withholdModel() {
        modelWithheld = true;
    }

    /** The model for records and metrics: the body's, unless withheld ({@code [withheld]}), or null. */
    public String modelForRecords() {
        if (modelWithheld) {
            return "[withheld]";
        }
        return body == null ? null : facts().model();
    }

    /** Facts of the JSON body (model, stream, max_tokens…), parsed once from the body as read. */
    public synchronized RequestFacts facts() {
        if (facts == null) {
            facts = body == null ? RequestFacts.EMPTY : RequestFacts.parse(body, bodyLength);
        }
        return facts;
    }

    /**
     * The file or batch id this request is about: the one its path names, or the one the upstream created (an
     * upload, a batch creation) once known; null for other requests. For the audit record.
     */
    public String resourceId() {
        String id = resourceId;
        if (id != null) {
            return id;
        }
        ApiRequest a = api;
        return a == null ? null : a.resourceId();
    }

    public void resourceId(String id) {
        resourceId = id;
    }

    // ---- response side ----

    public String upstream() {
        return upstream;
    }

    public void upstream(String name) {
        upstream = name;
    }

    /** The upstream's own {@code request-id}, passed to the client; null when the mirror answered itself. */
    public String upstreamRequestId() {
        return upstreamRequestId;
    }

    public void upstreamRequestId(String id) {
        upstreamRequestId = id;
    }

    /** The id the client saw: the upstream's when proxied, else the mirror's own. */
    public String clientRequestId() {
        String u = upstreamRequestId;
        return u != null ? u : requestId;
    }

    public int attempts() {
        return attempts;
    }

    public void attempt() {
        attempts++;
    }

    /** The final status: set by the mirror when it answers itself, otherwise the response's at completion. */
    public int status() {
        return status;
    }

    public void status(int s) {
        status = s;
    }

    public String errorType() {
        return errorType;
    }

    public void errorType(String type) {
        errorType = type;
    }

    public String cacheStatus() {
        return cacheStatus;
    }

    public void cacheStatus(String s) {
        cacheStatus = s;
    }

    public Usage usage() {
        return usage;
    }

    public void markFirstByte() {
        if (firstByteNanos == 0) {
            firstByteNanos = System.nanoTime();
        }
    }

    /** Nanoseconds from start to the first response byte sent to the client, or -1. */
    public long timeToFirstByteNanos() {
        long f = firstByteNanos;
        return f == 0 ? -1 : f - startNanos;
    }

    public boolean clientAborted() {
        return clientAborted;
    }

    public void clientAborted(boolean aborted) {
        clientAborted = aborted;
    }

    /** Counts a PII finding by type (never the value). */
    public synchronized void piiFinding(String type, int count) {
        if (piiFindings == null) {
            piiFindings = new TreeMap<>();
        }
        piiFindings.merge(type, count, Integer::sum);
    }

    public synchronized Map<String, Integer> piiFindings() {
        return piiFindings == null ? Collections.emptyMap() : Collections.unmodifiableMap(new TreeMap<>(piiFindings));
    }

    static String newRequestId() {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        char[] c = new char[4 + 24];
        c[0] = 'r';
        c[1] = 'e';
        c[2] = 'q';
        c[3] = '_';
        for (int i = 4; i < c.length; i++) {
            c[i] = ID_CHARS[r.nextInt(ID_CHARS.length)];
        }
        return new String(c);
    }

    @Override
    public String toString() {
        ApiRequest a = api;
        return "Exchange[" + requestId + " " + (a == null ? "(refused)" : a.method() + " " + a.path()) + "]";
    }
}
