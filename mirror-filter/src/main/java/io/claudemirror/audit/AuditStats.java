package io.claudemirror.audit;

import com.codahale.metrics.Counter;
import com.codahale.metrics.Gauge;
import com.codahale.metrics.Metric;
import com.codahale.metrics.MetricSet;
import io.claudemirror.metrics.MetricFamily;
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
    static final MetricFamily WRITTEN = MetricFamily.single("audit.written", "Audit records written");
    static final MetricFamily DROPPED = MetricFamily.single("audit.dropped",
            "Audit records dropped because the queue was full");
    static final MetricFamily FAILURES = MetricFamily.single("audit.failures", "Audit records lost to I/O errors");
    static final MetricFamily QUEUE = MetricFamily.single("audit.queue", "Audit records waiting to be written");

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
        m.put(WRITTEN.relativeName(), written);
        m.put(DROPPED.relativeName(), dropped);
        m.put(FAILURES.relativeName(), failures);
        m.put(QUEUE.relativeName(), (Gauge<Integer>) this::queueDepth);
        return m;
    }
}
