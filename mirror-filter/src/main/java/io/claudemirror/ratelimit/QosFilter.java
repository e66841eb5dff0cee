package io.claudemirror.ratelimit;

import io.claudemirror.MirrorFilter;
import io.claudemirror.MirrorRuntime;
import io.claudemirror.config.MirrorConfig.Qos;
import io.claudemirror.config.MirrorConfig.Tenant;
import io.claudemirror.errors.ErrorResponses;
import io.claudemirror.exchange.Exchange;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Caps the requests in flight to the upstream side mirror-wide ({@code qos.maxInFlight}; 0 = off). Above the cap
 * a request waits, highest tenant {@code priority} first and first-come within a priority, for at most
 * {@code qos.maxQueueWait}, behind at most {@code qos.maxQueued} others; then it gets 529
 * {@code overloaded_error} with {@code retry-after}. Register it last, right before the proxy servlet: a cache
 * hit answered by an earlier filter never reaches it, so hits never queue (and one marked HIT is let through).
 *
 * <p><b>A waiting request blocks its container thread</b>, bounded by {@code maxQueueWait} and by
 * {@code maxQueued} threads at most. The non-blocking alternative (start async, dispatch once admitted) was
 * rejected: the dispatch re-runs every filter mapped for ASYNC (a second rate-limit admission), and the new async
 * cycle drops the AsyncListener that completes the Exchange, so permits would never come back. Keep
 * {@code maxQueued} well below the container's thread pool so queued requests cannot starve the host.
 * The slot is released when the exchange completes, however it ends.
 */
public class QosFilter extends MirrorFilter {
    /** Priority of a request without a tenant (passthrough mode): the configuration's default priority. */
    public static final int DEFAULT_PRIORITY = 1;

    private static final Logger LOG = LoggerFactory.getLogger(QosFilter.class);

    private InFlightGate gate;
    private long maxWaitNanos;
    private long retryAfterSeconds;
    private RateLimitMetrics metrics;
    private Consumer<Exchange> release;

    public QosFilter() {
    }

    public QosFilter(MirrorRuntime runtime) {
        super(runtime);
    }

    @Override
    protected void init(MirrorRuntime runtime) throws ServletException {
        Qos qos = runtime.config().qos();
        if (qos.maxInFlight() <= 0) {
            LOG.info("Claude Mirror QoS: off (qos.maxInFlight = 0)");
            return;
        }
        InFlightGate g = runtime.service(InFlightGate.class, () -> new InFlightGate(qos.maxInFlight(), qos.maxQueued()));
        gate = g;
        release = ex -> g.release();
        maxWaitNanos = qos.maxQueueWait().toNanos();
        // The queue stayed full for the whole wait; retrying sooner than that is unlikely to fare better.
        retryAfterSeconds = RetryAfter.seconds(maxWaitNanos);
        metrics = runtime.service(RateLimitMetrics.class, RateLimitMetrics::new);
        metrics.gate(g);
        LOG.info("Claude Mirror QoS: maxInFlight={} maxQueueWait={} maxQueued={} (waiting requests block a thread)",
                qos.maxInFlight(), qos.maxQueueWait(), qos.maxQueued());
    }

    @Override
    protected void filter(Exchange exchange, HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws IOException, ServletException {
        if (gate == null || "HIT".equals(exchange.cacheStatus())) {
            chain.doFilter(request, response);
            return;
        }
        Tenant tenant = exchange.tenant();
        int priority = tenant == null ? DEFAULT_PRIORITY : tenant.priority();
        InFlightGate.Outcome outcome = gate.acquire(priority, maxWaitNanos);
        if (!outcome.admitted()) {
            if (outcome == InFlightGate.Outcome.QUEUE_FULL) {
                metrics.queueFull();
            } else {
                metrics.queueTimedOut();
            }
            if (LOG.isDebugEnabled()) {
                LOG.debug("{} QoS: {} (priority {})", exchange.requestId(), outcome, priority);
            }
            ErrorResponses.write(response, exchange, 529, ErrorResponses.OVERLOADED,
                    outcome == InFlightGate.Outcome.QUEUE_FULL
                            ? "The mirror is overloaded: too many requests are waiting for the upstream"
                            : "The mirror is overloaded: no upstream slot became free in time",
                    retryAfterSeconds);
            return;
        }
        if (outcome == InFlightGate.Outcome.ADMITTED_AFTER_WAIT) {
            metrics.queued();
        }
        exchange.onComplete(release);
        chain.doFilter(request, response);
    }

    /** The gate, or null when QoS is off. */
    protected InFlightGate gate() {
        return gate;
    }
}
