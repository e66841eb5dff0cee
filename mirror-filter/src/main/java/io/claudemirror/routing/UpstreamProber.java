package io.claudemirror.routing;

import io.claudemirror.config.MirrorConfig.Upstream;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Active health: every {@code routing.probe.interval} a cheap request ({@code GET /v1/models}) to each upstream,
 * whose outcome feeds the same breaker as real traffic — so an open upstream can come back without risking a
 * client's request on its trial, and a dead idle one is noticed before a client finds out. Off by default: the
 * upstreams are paid endpoints and real traffic already tells their health.
 */
public final class UpstreamProber implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(UpstreamProber.class);

    /** Sends one probe; the proxy supplies one over its own HttpClient ({@link JettyProbeTransport}). */
    @FunctionalInterface
    public interface ProbeTransport {
        /** Completes with the response, or exceptionally when no response came (connect failure, timeout). */
        CompletableFuture<ProbeResponse> probe(Upstream upstream, Duration timeout);
    }

    /** A probe's status and its header accessor (for quota headers). */
    public record ProbeResponse(int status, UnaryOperator<String> headers) {
    }

    private final UpstreamPool pool;
    private final ProbeTransport transport;
    private final Duration interval;
    private final Duration timeout;
    private ScheduledExecutorService scheduler;

    public UpstreamProber(UpstreamPool pool, ProbeTransport transport) {
        this(pool, transport, pool.routing().probeInterval(), pool.routing().probeTimeout());
    }

    public UpstreamProber(UpstreamPool pool, ProbeTransport transport, Duration interval, Duration timeout) {
        this.pool = pool;
        this.transport = transport;
        this.interval = interval;
        this.timeout = timeout;
    }

    /** Starts probing on its own daemon thread when the interval is above zero; returns whether it did. */
    public synchronized boolean start() {
        if (interval.isZero() || interval.isNegative() || scheduler != null) {
            return false;
        }
        scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "claude-mirror-probe");
            t.setDaemon(true);
            return t;
        });
        long ms = interval.toMillis();
        scheduler.scheduleWithFixedDelay(this::probeQuietly, ms, ms, TimeUnit.MILLISECONDS);
        return true;
    }

    private void probeQuietly() {
        try {
            probeAll().get(timeout.toMillis() * 2 + 1000, TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            LOG.debug("Claude Mirror: probe round did not finish: {}", e.toString());
        }
    }

    /** Probes every upstream once; completes when every answer has been recorded. */
    public CompletableFuture<Void> probeAll() {
        CompletableFuture<?>[] all = new CompletableFuture<?>[pool.size()];
        for (int i = 0; i < pool.size(); i++) {
            all[i] = probe(i);
        }
        return CompletableFuture.allOf(all);
    }

    /** Probes one upstream and records the outcome on its breaker (and any quota pause). */
    public CompletableFuture<Void> probe(int index) {
        Upstream upstream = pool.get(index).upstream();
        CompletableFuture<ProbeResponse> sent;
        try {
            sent = transport.probe(upstream, timeout);
        } catch (RuntimeException e) {
            sent = CompletableFuture.failedFuture(e);
        }
        return sent.handle((response, failure) -> {
            if (failure != null) {
                UpstreamOutcome outcome = UpstreamOutcome.classify(failure);
                pool.onFailure(index, outcome, "probe: " + outcome.reason(0));
                LOG.debug("Claude Mirror: probe of {} failed: {}", upstream.name(), failure.getClass().getSimpleName());
                return null;
            }
            UpstreamOutcome outcome = UpstreamOutcome.classify(response.status());
            pool.onFailure(index, outcome, "probe: " + outcome.reason(response.status()));
            long pause = QuotaHeaders.pauseUntil(response.headers(), response.status(), pool.nanoTime(),
                    pool.wall().instant());
            if (pause != 0) {
                pool.onQuota(index, pause);
            }
            return null;
        });
    }

    @Override
    public synchronized void close() {
        if (scheduler != null) {
            scheduler.shutdownNow();
            scheduler = null;
        }
    }
}
