package io.claudemirror.audit;

import com.codahale.metrics.Counter;
import com.codahale.metrics.Gauge;
import com.codahale.metrics.Metric;
import com.codahale.metrics.MetricSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.IntSupplier;

/**
 * What the audit log did: records written, records dropped because the queue was full (the request never waits
 * for the disk), records lost to I/O errors, and the current queue depth. One shared instance per runtime
 * ({@code runtime.service(AuditStats.class, AuditStats::new)}); the metrics component registers it under
 * {@code claude.mirror.}: {@code audit.written}, {@code audit.dropped}, {@code audit.failures}, {@code audit.queue}.
 */
public final class AuditStats implements MetricSet {
    final Counter written = new Counter();
    final Counter dropped = new Counter();
    final Counter failures = new Counter();
    private volatile IntSupplier queueDepth = () -> 0;

    void queueDepth(IntSupplier depth) {
        queueDepth = depth;
    }

    public long written() {
        return written.getCount();
    }

    public long dropped() {
        return dropped.getCount();
    }

    public long failures() {
        return failures.getCount();
    }

    public int queueDepth() {
        return queueDepth.getAsInt();
    }

    @Override
    public Map<String, Metric> getMetrics() {
        Map<String, Metric> m = new LinkedHashMap<>();
        m.put("audit.written", written);
        m.put("audit.dropped", dropped);
        m.put("audit.failures", failures);
        m.put("audit.queue", (Gauge<Integer>) this::queueDepth);
        return m;
    }
}
