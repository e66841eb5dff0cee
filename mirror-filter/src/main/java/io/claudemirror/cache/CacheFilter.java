package io.claudemirror.cache;

import io.claudemirror.MirrorFilter;
import io.claudemirror.MirrorRuntime;
import io.claudemirror.config.MirrorConfig;
import io.claudemirror.errors.ErrorResponses;
import io.claudemirror.exchange.ApiRequest;
import io.claudemirror.exchange.Exchange;
import io.claudemirror.exchange.RequestFacts;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The response cache ({@code cache.*}; see docs/caching.md). Registered after the PII filter, so it keys the
 * body the upstream would receive and sees the request's PII restore, and before the QoS filter, so a hit
 * never queues for an upstream slot. For a cacheable request ({@link CachePolicy}) it answers from the cache
 * ({@code x-mirror-cache: HIT}), or joins an identical request already in flight, or goes upstream as the
 * leader of a new flight and stores the complete answer ({@code MISS}); a client that refused the cache gets
 * {@code BYPASS}.
 *
 * <p><b>Followers wait on their container thread</b> until the leader's answer starts (or, when they need the
 * whole answer, until it ends), bounded by {@code timeouts.total}; from then on they are written without
 * blocking. Waiting in the original dispatch is what lets a follower still go upstream itself when the leader
 * fails: once a request went async, the filter chain cannot be resumed.
 */
public class CacheFilter extends MirrorFilter {
    /** The request and response header. */
    public static final String HEADER = "x-mirror-cache";
    /** How often a follower takes over after failed leaders before it goes upstream on its own. */
    static final int MAX_FOLLOWS = 4;

    private static final Logger LOG = LoggerFactory.getLogger(CacheFilter.class);

    private MirrorConfig config;
    private ResponseCache cache;
    private Flights flights;
    private long waitNanos;

    private static final Exchange.ResponseHeaderContributor MISS = (ex, r) -> r.setHeader(HEADER, "MISS");
    private static final Exchange.ResponseHeaderContributor BYPASS = (ex, r) -> r.setHeader(HEADER, "BYPASS");

    public CacheFilter() {
    }

    public CacheFilter(MirrorRuntime runtime) {
        super(runtime);
    }

    @Override
    protected void init(MirrorRuntime runtime) throws ServletException {
        config = runtime.config();
        MirrorConfig.Cache c = config.cache();
        if (!c.enabled()) {
            LOG.info("Claude Mirror cache: off (cache.enabled = false)");
            return;
        }
        try {
            cache = runtime.service(ResponseCache.class, () -> new EhcacheResponseCache(c));
        } catch (RuntimeException e) {
            throw new ServletException("cache.diskDir: cannot open the cache (" + e.getMessage() + ")", e);
        }
        flights = runtime.service(Flights.class, () -> new Flights(c.maxEntryBytes()));
        long total = config.timeouts().total().toNanos();
        waitNanos = total > 0 ? total : Long.MAX_VALUE / 4;
        LOG.info("Claude Mirror cache: messages={} shared={}", c.messages().name().toLowerCase(Locale.ROOT), c.shared());
    }

    @Override
    protected void filter(Exchange exchange, HttpServletRequest request, HttpServletResponse response,
                          FilterChain chain) throws IOException, ServletException {
        if (cache == null) {
            chain.doFilter(request, response);
            return;
        }
        ApiRequest api = exchange.api();
        // The front door read and decoded the body: the key covers the decoded bytes, however they were sent.
        RequestFacts facts = api.isPost() ? exchange.facts() : null;
        CachePolicy.Decision decision = CachePolicy.decide(api, facts, config.cache().messages(),
                request.getHeader(HEADER), request.getHeader("cache-control"));
        if (decision == CachePolicy.Decision.NONE) {
            chain.doFilter(request, response);
            return;
        }
        if (decision == CachePolicy.Decision.REFUSE) {
            bypass(exchange);
            chain.doFilter(request, response);
            return;
        }
        String key = key(exchange, request, api);
        if (decision == CachePolicy.Decision.REFRESH) {
            bypass(exchange);
            // A private flight: it records and stores, but nobody joins a request that refused shared answers.
            FlightRecorder recorder = new FlightRecorder(new Flight(key, config.cache().maxEntryBytes()), null, cache);
            exchange.addObserver(recorder);
            exchange.onComplete(recorder);
            chain.doFilter(request, response);
            return;
        }
        boolean wantStream = facts != null && facts.stream();
        for (int follows = 0; follows < MAX_FOLLOWS; follows++) {
            CachedResponse entry = cache.get(key);
            if (entry != null && Replay.entry(exchange, request, response, entry, wantStream)) {
                debug(exchange, "hit");
                return;
            }
            Flights.Joined joined = flights.join(key);
            if (joined.leader()) {
                lead(exchange, request, response, chain, joined.flight());
                return;
            }
            if (follow(exchange, request, response, joined.flight(), wantStream)) {
                return;
            }
        }
        // Leaders kept failing: answer this one on its own rather than wait for yet another.
        miss(exchange);
        chain.doFilter(request, response);
    }

    private void lead(Exchange exchange, HttpServletRequest request, HttpServletResponse response, FilterChain chain,
                      Flight flight) throws IOException, ServletException {
        miss(exchange);
        FlightRecorder recorder = new FlightRecorder(flight, flights, cache);
        flight.leaderGone(exchange::clientAborted);
        exchange.addObserver(recorder);
        // However the request ends (even refused before it reached the proxy), its followers are released.
        exchange.onComplete(recorder);
        debug(exchange, "miss, leading");
        chain.doFilter(request, response);
    }

    /** Follows {@code flight}; true when this request was answered, false to try again. */
    private boolean follow(Exchange exchange, HttpServletRequest request, HttpServletResponse response, Flight flight,
                           boolean wantStream) throws IOException {
        long deadline = System.nanoTime() + waitNanos;
        Flight.State state;
        try {
            state = flight.await(wantStream, deadline);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
        if (state == Flight.State.RECEIVING && wantStream) {
            Replay live = Replay.live(exchange, flight.contentType());
            state = flight.subscribe(live);
            if (state == Flight.State.RECEIVING) {
                debug(exchange, "following a stream in flight");
                live.attach(request, response);
                return true;
            }
        }
        if (state == Flight.State.DONE) {
            debug(exchange, "served by the flight it followed");
            return Replay.entry(exchange, request, response, flight.result(), wantStream);
        }
        // Failed, too large, or still not answered at the deadline: not this flight.
        flights.remove(flight);
        return false;
    }

    private static void miss(Exchange exchange) {
        exchange.cacheStatus("MISS");
        exchange.addHeaderContributor(MISS);
    }

    private static void bypass(Exchange exchange) {
        exchange.cacheStatus("BYPASS");
        exchange.addHeaderContributor(BYPASS);
    }

    /** The key for this request: its scope, request line, API headers and body (see {@link CacheKey}). */
    protected String key(Exchange exchange, HttpServletRequest request, ApiRequest api) {
        String scope;
        if (config.cache().shared()) {
            scope = "*";
        } else if (exchange.tenant() != null) {
            scope = "t:" + exchange.tenant().id();
        } else {
            // Passthrough mode: the client's own credential is its scope (only its digest enters the key).
            String credential = request.getHeader("x-api-key");
            if (credential == null) {
                credential = request.getHeader("authorization");
            }
            scope = "k:" + CacheKey.hex(CacheKey.sha256().digest(
                    String.valueOf(credential).getBytes(StandardCharsets.UTF_8)));
        }
        String beta = String.join(",", Collections.list(request.getHeaders("anthropic-beta")));
        // The facts were read from the body as received; once a filter edited it (PII), the key scans it itself.
        int streamAt = api.isPost() && !exchange.bodyEdited() ? exchange.facts().streamAt() : CacheKey.UNKNOWN;
        return CacheKey.of(scope, api.method(), api.path(), api.query(), request.getHeader("anthropic-version"),
                beta, exchange.body(), exchange.bodyLength(), streamAt);
    }

    private static void debug(Exchange exchange, String what) {
        if (LOG.isDebugEnabled()) {
            LOG.debug("{} cache: {}", exchange.requestId(), what);
        }
    }
}
