package io.claudemirror.proxy;

import com.codahale.metrics.Counter;
import com.codahale.metrics.Gauge;
import com.codahale.metrics.Metric;
import com.codahale.metrics.MetricSet;
import io.claudemirror.metrics.MetricFamily;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Requests that found every connection to their upstream busy and waited in the HTTP client's queue for one:
 * how many wait now, how many waited, how many gave up at {@code proxy.connectionWaitTimeout} (and were answered
 * 529). Without these a pool that is too small for long streams queues silently. Shared through the runtime
 * ({@code runtime.service(ConnectionWaitMetrics.class, ConnectionWaitMetrics::new)}).
 */
public final class ConnectionWaitMetrics implements MetricSet {
    static final MetricFamily WAITING = MetricFamily.single("upstream.connection.waiting",
            "Requests waiting now for a connection to their upstream (every pooled connection busy)");
    static final MetricFamily WAITS = MetricFamily.single("upstream.connection.waits",
            "Requests that had to wait for a connection to their upstream");
    static final MetricFamily TIMEOUTS = MetricFamily.single("upstream.connection.wait_timeouts",
            "Requests answered 529 because no upstream connection freed up within proxy.connectionWaitTimeout");

    private final AtomicInteger waiting = new AtomicInteger();
    private final Counter waits = new Counter();
    private final Counter timeouts = new Counter();

    void started() {
        waiting.incrementAndGet();
        waits.inc();
    }

    void ended() {
        waiting.decrementAndGet();
    }

    void timedOut() {
        timeouts.inc();
    }

    public int waiting() {
        return waiting.get();
    }

    public long waits() {
        return waits.getCount();
    }

    public long timeouts() {
        return timeouts.getCount();
    }

    @Override
    public Map<String, Metric> getMetrics() {
        Map<String, Metric> m = new LinkedHashMap<>();
        m.put(WAITING.relativeName(), (Gauge<Integer>) waiting::get);
        m.put(WAITS.relativeName(), waits);
        m.put(TIMEOUTS.relativeName(), timeouts);
        return m;
    }
}
