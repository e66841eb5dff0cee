package io.claudemirror.ratelimit;

import io.claudemirror.MirrorFilter;
import io.claudemirror.MirrorRuntime;
import io.claudemirror.config.MirrorConfig;
import io.claudemirror.config.MirrorConfig.Tenant;
import io.claudemirror.errors.ErrorResponses;
import io.claudemirror.exchange.Exchange;
import io.claudemirror.exchange.Endpoint;
import io.claudemirror.exchange.Usage;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies the tenant's limits ({@code tenants[].limits}) and model allow-list ({@code tenants[].models}) to a
 * request whose tenant the auth filter bound; without a tenant (passthrough mode) it does nothing.
 *
 * <ul>
 *   <li>A model outside the allow-list: 403 {@code permission_error}.</li>
 *   <li>Over a limit: 429 {@code rate_limit_error} with {@code retry-after}; a request that can never pass
 *       ({@code max_tokens} above the output or daily limit) also gets {@code x-should-retry: false}.</li>
 *   <li>Every response of a limited tenant carries its {@code anthropic-ratelimit-*} headers.</li>
 *   <li>{@code rateLimit.mode: observe}: decisions are counted ({@code ratelimit.observed.*}) and headed but
 *       never enforced; a request enforce mode would reject passes uncharged, so the headers and counters show
 *       exactly what enforce mode would do.</li>
 * </ul>
 * Token charges are settled when the exchange completes ({@link Settlement}), never after {@code chain.doFilter}
 * returns: with the asynchronous proxy behind, the response does not exist yet at that point.
 */
public class RateLimitFilter extends MirrorFilter {
    private static final Logger LOG = LoggerFactory.getLogger(RateLimitFilter.class);

    private final ConcurrentHashMap<String, ModelAllowList> allowLists = new ConcurrentHashMap<>();
    private volatile TenantLimiter limiter;
    private boolean enforce;
    private RateLimitMetrics metrics;

    /** One contributor for all exchanges: it reads the tenant from the exchange, so nothing is allocated. */
    private final Exchange.ResponseHeaderContributor headers = (ex, response) -> {
        Tenant t = ex.tenant();
        if (t != null) {
            RateLimitHeaders.write(response, limiter().headroom(t));
        }
    };

    public RateLimitFilter() {
    }

    public RateLimitFilter(MirrorRuntime runtime) {
        super(runtime);
    }

    @Override
    protected void init(MirrorRuntime runtime) throws ServletException {
        MirrorConfig config = runtime.config();
        enforce = config.rateLimit().enforce();
        metrics = runtime.service(RateLimitMetrics.class, RateLimitMetrics::new);
        int limited = 0;
        int restricted = 0;
        for (Tenant t : config.tenants()) {
            ModelAllowList list = ModelAllowList.of(t.models());
            allowLists.put(t.id(), list);
            limited += t.limits().any() ? 1 : 0;
            restricted += list.allowsAll() ? 0 : 1;
        }
        LOG.info("Claude Mirror rate limits: mode={} tenants with limits={} with a model allow-list={} ({})",
                enforce ? "enforce" : "observe", limited, restricted,
                config.redis().enabled() ? "cluster-wide in Redis" : "local buckets");
    }

    /**
     * The runtime's shared limiter, looked up on first use rather than at init, so that a host (or a test with a
     * deterministic clock) can register its own {@link TenantLimiter} service before the first request.
     */
    protected TenantLimiter limiter() {
        TenantLimiter l = limiter;
        if (l == null) {
            MirrorRuntime runtime = runtime();
            l = runtime.service(TenantLimiter.class, () -> TenantLimiter.create(runtime.config()));
            limiter = l;
        }
        return l;
    }

    @Override
    protected void filter(Exchange exchange, HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws IOException, ServletException {
        Tenant tenant = exchange.tenant();
        if (tenant == null) {
            chain.doFilter(request, response);
            return;
        }
        boolean limited = tenant.limits().any();
        if (limited) {
            // Registered first so every answer, the 403 and 429 below included, carries the headers.
            exchange.addHeaderContributor(headers);
        }
        Endpoint call = exchange.api().endpoint();
        ModelAllowList models = allowList(tenant);
        if (call.carriesModel() && !models.allowsAll()) {
            String denied = call == Endpoint.BATCH_CREATE
                    ? models.firstDisallowedInBatch(exchange.body(), exchange.bodyLength())
                    : deniedModel(models, exchange.facts().model());
            if (denied != null) {
                metrics.modelDenied();
                // The name is not echoed: it is the client's text, and a model field is a place to smuggle data.
                ErrorResponses.write(response, exchange, 403, ErrorResponses.PERMISSION,
                        "the requested model is not allowed for this API key", 0);
                return;
            }
        }
        if (!limited) {
            chain.doFilter(request, response);
            return;
        }
        long inputEstimate = 0;
        long outputReservation = 0;
        if (call == Endpoint.MESSAGES) {
            inputEstimate = TokenEstimates.inputTokens(exchange.bodyLength());
            outputReservation = TokenEstimates.outputTokens(exchange.facts().maxTokens());
        }
        TenantLimiter lim = limiter();
        Admission admission = lim.admit(tenant, inputEstimate, outputReservation, call == Endpoint.MESSAGES);
        if (admission.granted()) {
            if (call == Endpoint.MESSAGES) {
                exchange.onComplete(ex -> settle(lim, admission, ex));
            }
        } else if (enforce) {
            reject(exchange, response, tenant, admission, outputReservation);
            return;
        } else {
            metrics.wouldReject(admission.rejectedBy());
            if (LOG.isDebugEnabled()) {
                LOG.debug("{} observe mode: tenant {} would be rejected by {}", exchange.requestId(), tenant.id(),
                        admission.rejectedBy().configKey());
            }
        }
        chain.doFilter(request, response);
    }

    private static String deniedModel(ModelAllowList models, String model) {
        // A request without a model is the upstream's to reject (400), not a permission question.
        return model == null || models.allows(model) ? null : model;
    }

    private ModelAllowList allowList(Tenant tenant) {
        ModelAllowList l = allowLists.get(tenant.id());
        return l != null ? l : allowLists.computeIfAbsent(tenant.id(), id -> ModelAllowList.of(tenant.models()));
    }

    private void reject(Exchange exchange, HttpServletResponse response, Tenant tenant, Admission admission,
                        long outputReservation) throws IOException {
        metrics.rejected(admission.rejectedBy());
        if (!admission.worthRetrying()) {
            // Waiting does not help (or not within a minute): the SDKs check this header before retry-after.
            response.setHeader("x-should-retry", "false");
        }
        if (LOG.isDebugEnabled()) {
            LOG.debug("{} tenant {} rejected by {}: {}", exchange.requestId(), tenant.id(),
                    admission.rejectedBy().configKey(), admission);
        }
        ErrorResponses.write(response, exchange, 429, ErrorResponses.RATE_LIMIT,
                admission.rejectedBy().message(tenant.limits(), admission.satisfiable(), outputReservation),
                admission.retryAfterSeconds());
    }

    /** Runs once the response has really ended, however it ended. */
    static void settle(TenantLimiter limiter, Admission admission, Exchange ex) {
        boolean hit = "HIT".equals(ex.cacheStatus());
        boolean aborted = ex.clientAborted();
        int status = ex.status();
        Usage usage = ex.usage();
        long in = usage.inputTokens();
        long out = usage.outputTokens();
        limiter.settle(admission, Settlement.input(hit, aborted, status, in),
                Settlement.output(hit, aborted, status, ex.errorType(), in, out));
    }
}
