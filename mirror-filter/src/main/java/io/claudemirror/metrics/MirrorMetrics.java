package io.claudemirror.metrics;

import com.codahale.metrics.Counter;
import com.codahale.metrics.Gauge;
import com.codahale.metrics.LockFreeExponentiallyDecayingReservoir;
import com.codahale.metrics.Meter;
import com.codahale.metrics.Metric;
import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.MetricSet;
import com.codahale.metrics.SharedMetricRegistries;
import com.codahale.metrics.Timer;
import io.claudemirror.MirrorRuntime;
import io.claudemirror.audit.AuditRecord;
import io.claudemirror.audit.AuditStats;
import io.claudemirror.config.MirrorConfig.Tenant;
import io.claudemirror.errors.ErrorResponses;
import io.claudemirror.exchange.Exchange;
import io.claudemirror.ratelimit.RateLimitMetrics;
import io.claudemirror.routing.UpstreamState;
import jakarta.servlet.ServletContext;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The mirror's metrics, registered in the host's Dropwizard {@link MetricRegistry} under {@value #PREFIX}
 * (every name is declared below as a {@link MetricFamily}, with its Prometheus form and HELP text, and listed in
 * docs/monitoring.md). One per runtime ({@link #forRuntime}); everything is recorded
 * when the response has really ended, from {@link Exchange#onComplete}. Closing it (with the runtime) removes
 * its metrics from the registry, so a redeployed web application can register them again.
 *
 * <p>Names that end in a variable part (status class, error type, PII type, upstream, tenant) are families:
 * the Prometheus exposition turns the last part into a label. Variable parts are reduced to
 * {@code [A-Za-z0-9_-]} and each family holds at most {@value #MAX_PER_FAMILY} members (then {@code other}),
 * so a client cannot grow the registry without bound.
 */
public final class MirrorMetrics implements AutoCloseable {
    public static final String PREFIX = "claude.mirror";
    /** ServletContext attribute a host sets to its {@link MetricRegistry}. */
    public static final String REGISTRY_ATTRIBUTE = MirrorMetrics.class.getName() + ".registry";
    /**
     * Every context attribute searched for the host's registry, in order: ours, then the keys of Dropwizard's
     * own {@code MetricsServlet} and {@code InstrumentedFilter} (jakarta and javax generations), so a host that
     * already set those up needs nothing more.
     */
    public static final List<String> REGISTRY_ATTRIBUTES = List.of(REGISTRY_ATTRIBUTE,
            "io.dropwizard.metrics.servlets.MetricsServlet.registry",
            "com.codahale.metrics.servlets.MetricsServlet.registry",
            "io.dropwizard.metrics.servlet6.InstrumentedFilter.registry",
            "io.dropwizard.metrics.servlet.InstrumentedFilter.registry",
            "com.codahale.metrics.servlet.InstrumentedFilter.registry");
    static final int MAX_PER_FAMILY = 64;

    private static final Logger LOG = LoggerFactory.getLogger(MirrorMetrics.class);
    private static final String[] STATUS_CLASSES = {"other", "1xx", "2xx", "3xx", "4xx", "5xx"};

    // ---- the metrics, each declared once: Dropwizard name under the prefix, Prometheus form, HELP ----
    static final MetricFamily REQUESTS = MetricFamily.single("requests",
            "Duration of every request through the mirror, in seconds");
    static final MetricFamily REQUESTS_STREAM = MetricFamily.single("requests.stream",
            "Duration of streamed (SSE) requests, in seconds");
    static final MetricFamily REQUESTS_NONSTREAM = MetricFamily.single("requests.nonstream",
            "Duration of non-streamed requests, in seconds");
    static final MetricFamily TTFB = MetricFamily.single("ttfb",
            "Time to the first response byte sent to the client, in seconds");
    static final MetricFamily TTFT = MetricFamily.single("ttft",
            "Time to the first token (first content_block_delta) of a stream, in seconds");
    static final MetricFamily REQUESTS_ACTIVE = MetricFamily.single("requests.active", "Requests in flight");
    static final MetricFamily STREAMS_ACTIVE = MetricFamily.single("streams.active", "Streaming requests in flight");
    static final MetricFamily RESPONSES = MetricFamily.labelled("responses", "class", "Responses by status class");
    static final MetricFamily ABORTED = MetricFamily.single("aborted",
            "Requests the client abandoned before the response ended");
    static final MetricFamily CACHE_HITS = MetricFamily.single("cache.hits", "Responses served from the mirror's cache");
    static final MetricFamily CACHE_MISSES = MetricFamily.single("cache.misses",
            "Cacheable requests not found in the cache");
    static final MetricFamily CACHE_BYPASSES = MetricFamily.single("cache.bypasses", "Requests that refused the cache");
    static final MetricFamily TOKENS_INPUT = MetricFamily.single("tokens.input", "Input tokens processed by the upstreams");
    static final MetricFamily TOKENS_OUTPUT = MetricFamily.single("tokens.output",
            "Output tokens generated by the upstreams");
    static final MetricFamily RETRIES = MetricFamily.single("upstream.retries",
            "Extra attempts after a failed or retryable one");
    static final MetricFamily ERRORS = MetricFamily.labelled("errors", "type", "Error outcomes by Anthropic error type");
    static final MetricFamily PII_FINDINGS = MetricFamily.labelled("pii.findings", "type", "PII findings in requests, by type");
    static final MetricFamily UPSTREAM_REQUESTS = MetricFamily.labelled("upstream.requests", "upstream",
            "Attempts sent to each upstream (retries included)");
    static final MetricFamily UPSTREAM_FAILURES = MetricFamily.labelled("upstream.failures", "upstream",
            "Failed attempts per upstream (connect, timeout, 5xx, 429)");
    static final MetricFamily UPSTREAM_HEALTHY = MetricFamily.labelled("upstream.healthy", "upstream",
            "1 while the upstream counts as healthy, else 0");
    // Routing state (issue 10): breaker 0 closed, 1 half-open, 2 open; peak-EWMA of time to first byte; pauses.
    static final MetricFamily UPSTREAM_BREAKER = MetricFamily.labelled("upstream.breaker", "upstream",
            "Circuit breaker state per upstream: 0 closed, 1 half-open, 2 open");
    static final MetricFamily UPSTREAM_LATENCY_EWMA = MetricFamily.labelled("upstream.latency_ewma_seconds", "upstream",
            "Peak-EWMA of the upstream's time to first byte, in seconds");
    static final MetricFamily UPSTREAM_INFLIGHT = MetricFamily.labelled("upstream.inflight", "upstream",
            "Requests in flight to the upstream");
    static final MetricFamily UPSTREAM_PAUSED = MetricFamily.labelled("upstream.paused", "upstream",
            "1 while the upstream is paused for its own quota (retry-after, rate-limit headers)");
    static final MetricFamily UPSTREAM_QUOTA_HITS = MetricFamily.labelled("upstream.quota_hits", "upstream",
            "Answers of the upstream that said its own quota was spent");
    static final MetricFamily UPSTREAM_LATENCY = MetricFamily.labelled("upstream.latency", "upstream",
            "Request duration by the upstream that answered, in seconds");
    static final MetricFamily UPSTREAM_TTFB = MetricFamily.labelled("upstream.ttfb", "upstream",
            "Time to first byte by the upstream that answered, in seconds");
    static final MetricFamily TENANT_REQUESTS = MetricFamily.labelled("tenant.requests", "tenant", "Requests per tenant");
    static final MetricFamily TENANT_INPUT = MetricFamily.labelled("tenant.tokens.input", "tenant",
            "Input tokens per tenant");
    static final MetricFamily TENANT_OUTPUT = MetricFamily.labelled("tenant.tokens.output", "tenant",
            "Output tokens per tenant");
    static final MetricFamily MODEL_INPUT = MetricFamily.labelled("model.tokens.input", "model",
            "Input tokens per model (as the client named it)");
    static final MetricFamily MODEL_OUTPUT = MetricFamily.labelled("model.tokens.output", "model",
            "Output tokens per model (as the client named it)");

    private final MetricRegistry registry;
    private final Map<String, Metric> owned = new ConcurrentHashMap<>();
    private int replaced;

    private final Timer requests;
    private final Timer streamRequests;
    private final Timer otherRequests;
    private final Timer ttfb;
    private final Timer ttft;
    private final AtomicInteger activeRequests = new AtomicInteger();
    private final AtomicInteger activeStreams = new AtomicInteger();
    private final Meter[] statusClasses = new Meter[STATUS_CLASSES.length];
    private final Meter aborted;
    private final Meter cacheHits;
    private final Meter cacheMisses;
    private final Meter cacheBypasses;
    private final Meter inputTokens;
    private final Meter outputTokens;
    private final Meter retries;
    private final Map<String, Meter> errors = new ConcurrentHashMap<>();
    private final Map<String, Meter> piiFindings = new ConcurrentHashMap<>();
    private final Map<String, Meter> tenantRequests = new ConcurrentHashMap<>();
    private final Map<String, Meter> tenantInput = new ConcurrentHashMap<>();
    private final Map<String, Meter> tenantOutput = new ConcurrentHashMap<>();
    private final Map<String, Meter> modelInput = new ConcurrentHashMap<>();
    private final Map<String, Meter> modelOutput = new ConcurrentHashMap<>();
    private final Map<String, Timer> upstreamLatency = new ConcurrentHashMap<>();
    private final Map<String, Timer> upstreamTtfb = new ConcurrentHashMap<>();

    /** Registers every metric in {@code registry}; the runtime supplies upstreams, tenants and shared counters. */
    private MirrorMetrics(MetricRegistry registry, MirrorRuntime runtime, MetricSet... shared) {
        this.registry = registry;
        requests = add(REQUESTS.relativeName(), timer());
        streamRequests = add(REQUESTS_STREAM.relativeName(), timer());
        otherRequests = add(REQUESTS_NONSTREAM.relativeName(), timer());
        ttfb = add(TTFB.relativeName(), timer());
        ttft = add(TTFT.relativeName(), timer());
        add(REQUESTS_ACTIVE.relativeName(), (Gauge<Integer>) activeRequests::get);
        add(STREAMS_ACTIVE.relativeName(), (Gauge<Integer>) activeStreams::get);
        for (int i = 0; i < STATUS_CLASSES.length; i++) {
            statusClasses[i] = add(RESPONSES.member(STATUS_CLASSES[i]), new Meter());
        }
        aborted = add(ABORTED.relativeName(), new Meter());
        cacheHits = add(CACHE_HITS.relativeName(), new Meter());
        cacheMisses = add(CACHE_MISSES.relativeName(), new Meter());
        cacheBypasses = add(CACHE_BYPASSES.relativeName(), new Meter());
        inputTokens = add(TOKENS_INPUT.relativeName(), new Meter());
        outputTokens = add(TOKENS_OUTPUT.relativeName(), new Meter());
        retries = add(RETRIES.relativeName(), new Meter());
        for (String type : List.of(ErrorResponses.INVALID_REQUEST, ErrorResponses.AUTHENTICATION,
                ErrorResponses.PERMISSION, ErrorResponses.NOT_FOUND, ErrorResponses.REQUEST_TOO_LARGE,
                ErrorResponses.RATE_LIMIT, ErrorResponses.API_ERROR, ErrorResponses.TIMEOUT,
                ErrorResponses.OVERLOADED)) {
            member(errors, ERRORS, type, Meter::new);
        }
        for (UpstreamState s : runtime.upstreams().states()) {
            String name = part(s.upstream().name());
            add(UPSTREAM_REQUESTS.member(name), new CountView(s::requests));
            add(UPSTREAM_FAILURES.member(name), new CountView(s::failures));
            add(UPSTREAM_HEALTHY.member(name), (Gauge<Integer>) () -> s.healthy() ? 1 : 0);
            add(UPSTREAM_BREAKER.member(name), (Gauge<Integer>) () -> s.breakerState().ordinal());
            add(UPSTREAM_LATENCY_EWMA.member(name), (Gauge<Double>) () -> s.latencyEwmaMillis() / 1000.0);
            add(UPSTREAM_INFLIGHT.member(name), (Gauge<Integer>) s::inFlight);
            add(UPSTREAM_PAUSED.member(name), (Gauge<Integer>) () -> s.paused() ? 1 : 0);
            add(UPSTREAM_QUOTA_HITS.member(name), new CountView(s::quotaHits));
            member(upstreamLatency, UPSTREAM_LATENCY, name, MirrorMetrics::timer);
            member(upstreamTtfb, UPSTREAM_TTFB, name, MirrorMetrics::timer);
        }
        for (Tenant t : runtime.config().tenants()) {
            tenantMeters(t.id());
        }
        for (MetricSet set : shared) {
            registerAll(set);
        }
        if (replaced > 0) {
            LOG.warn("Claude Mirror metrics: replaced {} metrics already in the registry under {} (a previous "
                    + "instance that was not closed, or two mirrors sharing one registry)", replaced, PREFIX);
        }
    }

    /** The runtime's instance, created on first use with {@code registry}. */
    public static MirrorMetrics forRuntime(MirrorRuntime runtime, MetricRegistry registry) {
        // The shared sets are fetched first: a runtime.service() call inside another service's factory is a
        // recursive ConcurrentHashMap update, which fails ("Recursive update") when both keys share a bin.
        MetricSet rateLimits = runtime.service(RateLimitMetrics.class, RateLimitMetrics::new);
        MetricSet audit = runtime.service(AuditStats.class, AuditStats::new);
        // Cluster mode registers its set when the runtime starts; absent otherwise.
        MetricSet cluster = runtime.serviceIfPresent(io.claudemirror.cluster.ClusterMetrics.class);
        MetricSet connectionWaits = runtime.service(io.claudemirror.proxy.ConnectionWaitMetrics.class,
                io.claudemirror.proxy.ConnectionWaitMetrics::new);
        MirrorMetrics m = runtime.service(MirrorMetrics.class, () -> cluster == null
                ? new MirrorMetrics(registry, runtime, rateLimits, audit, connectionWaits)
                : new MirrorMetrics(registry, runtime, rateLimits, audit, connectionWaits, cluster));
        if (m.registry != registry) {
            LOG.warn("Claude Mirror metrics: a second MetricRegistry was offered; metrics stay in the first");
        }
        return m;
    }

    /**
     * The host's registry from the context attributes {@link #REGISTRY_ATTRIBUTES}, else Dropwizard's default
     * shared registry if the host set one, else null. Never a new private registry: metrics nobody reports are
     * worse than a clear start-up error.
     */
    public static MetricRegistry findRegistry(ServletContext context) {
        for (String key : REGISTRY_ATTRIBUTES) {
            if (context.getAttribute(key) instanceof MetricRegistry r) {
                return r;
            }
        }
        return SharedMetricRegistries.tryGetDefault();
    }

    /** The message of the start-up error when no registry is found. */
    static String noRegistryMessage(String component) {
        return component + ": no Dropwizard MetricRegistry found. Pass one to the constructor, or set the "
                + "ServletContext attribute \"" + REGISTRY_ATTRIBUTE + "\" (or Dropwizard's \""
                + REGISTRY_ATTRIBUTES.get(1) + "\") before the context starts, or call "
                + "ClaudeMirror.install(context, config[, registry]) which provides one.";
    }

    public MetricRegistry registry() {
        return registry;
    }

    /** Registers a component's own metrics under {@value #PREFIX}, removed again on {@link #close}. */
    public void registerAll(MetricSet set) {
        for (Map.Entry<String, Metric> e : set.getMetrics().entrySet()) {
            add(e.getKey(), e.getValue());
        }
    }

    // ---- per request ----

    /** The request entered the mirror. */
    RequestWatch started() {
        activeRequests.incrementAndGet();
        return new RequestWatch();
    }

    /** The chain returned: the body has been read if anyone needed it, so a stream request is known now. */
    void dispatched(Exchange ex, RequestWatch watch) {
        if (!watch.streamCounted && ex.hasBody() && ex.facts().stream()) {
            watch.streamCounted = true;
            activeStreams.incrementAndGet();
        }
    }

    /** The response ended; runs once per request, from {@link Exchange#onComplete}. */
    /**
     * Timers on the lock-free decaying reservoir: several are updated per request, and the default reservoir
     * takes a lock and inserts into a skip list on every update.
     */
    static Timer timer() {
        return new Timer(LockFreeExponentiallyDecayingReservoir.builder().build());
    }

    void completed(Exchange ex, RequestWatch watch, long endNanos) {
        activeRequests.decrementAndGet();
        if (watch.streamCounted) {
            activeStreams.decrementAndGet();
        }
        long latency = endNanos - ex.startNanos();
        requests.update(latency, TimeUnit.NANOSECONDS);
        (watch.streamCounted || watch.sse() ? streamRequests : otherRequests).update(latency, TimeUnit.NANOSECONDS);
        int status = ex.status();
        statusClasses[status >= 100 && status < 600 ? status / 100 : 0].mark();
        if (ex.clientAborted()) {
            aborted.mark();
        }
        String error = AuditRecord.errorType(ex);
        if (error != null) {
            member(errors, ERRORS, part(error), Meter::new).mark();
        }
        boolean hit = false;
        String cache = ex.cacheStatus();
        if (cache != null) {
            switch (cache.toUpperCase(Locale.ROOT)) {
                case "HIT" -> {
                    hit = true;
                    cacheHits.mark();
                }
                case "MISS" -> cacheMisses.mark();
                case "BYPASS" -> cacheBypasses.mark();
                default -> { }
            }
        }
        for (Map.Entry<String, Integer> f : ex.piiFindings().entrySet()) {
            member(piiFindings, PII_FINDINGS, part(f.getKey()), Meter::new).mark(f.getValue());
        }
        Tenant tenant = ex.tenant();
        Meter[] perTenant = tenant == null ? null : tenantMeters(tenant.id());
        if (perTenant != null) {
            perTenant[0].mark();
        }
        // Tokens the upstream processed: a cache hit cost none, whatever usage its replay shows.
        long in = ex.usage().inputTokens();
        long out = ex.usage().outputTokens();
        String model = (in > 0 || out > 0) && !hit && ex.hasBody() ? ex.facts().model() : null;
        if (model != null) {
            if (in > 0) {
                member(modelInput, MODEL_INPUT, part(model), Meter::new).mark(in);
            }
            if (out > 0) {
                member(modelOutput, MODEL_OUTPUT, part(model), Meter::new).mark(out);
            }
        }
        if (!hit && in > 0) {
            inputTokens.mark(in);
            if (perTenant != null) {
                perTenant[1].mark(in);
            }
        }
        if (!hit && out > 0) {
            outputTokens.mark(out);
            if (perTenant != null) {
                perTenant[2].mark(out);
            }
        }
        long firstByte = ex.timeToFirstByteNanos();
        if (firstByte >= 0) {
            ttfb.update(firstByte, TimeUnit.NANOSECONDS);
        }
        long firstToken = watch.timeToFirstTokenNanos(ex.startNanos());
        if (firstToken >= 0) {
            ttft.update(firstToken, TimeUnit.NANOSECONDS);
        }
        if (ex.attempts() > 1) {
            retries.mark(ex.attempts() - 1L);
        }
        String upstream = ex.upstream();
        if (upstream != null) {
            String name = part(upstream);
            member(upstreamLatency, UPSTREAM_LATENCY, name, MirrorMetrics::timer).update(latency, TimeUnit.NANOSECONDS);
            if (firstByte >= 0) {
                member(upstreamTtfb, UPSTREAM_TTFB, name, MirrorMetrics::timer).update(firstByte, TimeUnit.NANOSECONDS);
            }
        }
    }

    /** Requests in flight (for tests and the health of the host). */
    public int activeRequests() {
        return activeRequests.get();
    }

    public int activeStreams() {
        return activeStreams.get();
    }

    // ---- registration ----

    private Meter[] tenantMeters(String id) {
        String name = part(id);
        return new Meter[] {
            member(tenantRequests, TENANT_REQUESTS, name, Meter::new),
            member(tenantInput, TENANT_INPUT, name, Meter::new),
            member(tenantOutput, TENANT_OUTPUT, name, Meter::new)};
    }

    /** The family member {@code family + name}, registered on first use; past the cap, the {@code other} member. */
    private <T extends Metric> T member(Map<String, T> family, MetricFamily declared, String name,
                                        Supplier<T> factory) {
        T m = family.get(name);
        if (m != null) {
            return m;
        }
        String key = family.size() >= MAX_PER_FAMILY ? "other" : name;
        return family.computeIfAbsent(key, k -> add(declared.member(k), factory.get()));
    }

    private synchronized <T extends Metric> T add(String name, T metric) {
        String full = MetricRegistry.name(PREFIX, name);
        if (registry.getMetrics().containsKey(full)) {
            replaced++;
            registry.remove(full);
        }
        registry.register(full, metric);
        owned.put(full, metric);
        return metric;
    }

    /** Reduces a variable name part to characters every reporter (Graphite, Prometheus) accepts. */
    static String part(String s) {
        if (s == null || s.isEmpty()) {
            return "unknown";
        }
        if (isClean(s)) {
            return s; // the usual case (model, upstream and error names): nothing to replace, nothing to copy
        }
        StringBuilder sb = new StringBuilder(Math.min(s.length(), 64));
        for (int i = 0; i < s.length() && i < 64; i++) {
            char c = s.charAt(i);
            sb.append(c < 128 && (Character.isLetterOrDigit(c) || c == '_' || c == '-') ? c : '_');
        }
        return sb.toString();
    }

    private static boolean isClean(String s) {
        if (s.length() > 64) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-')) {
                return false;
            }
        }
        return true;
    }

    /** Removes this instance's metrics from the registry (those another instance replaced stay). */
    @Override
    public synchronized void close() {
        for (Map.Entry<String, Metric> e : owned.entrySet()) {
            if (registry.getMetrics().get(e.getKey()) == e.getValue()) {
                registry.remove(e.getKey());
            }
        }
        owned.clear();
    }

    /** A counter whose count lives elsewhere ({@link UpstreamState} keeps its own), so reporters see a counter. */
    static final class CountView extends Counter {
        private final LongSupplier source;

        CountView(LongSupplier source) {
            this.source = source;
        }

        @Override
        public long getCount() {
            return source.getAsLong();
        }
    }
}
