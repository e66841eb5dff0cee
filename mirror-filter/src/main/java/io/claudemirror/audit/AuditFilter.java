package io.claudemirror.audit;

import io.claudemirror.FrontDoor;
import io.claudemirror.MirrorFilter;
import io.claudemirror.MirrorRuntime;
import io.claudemirror.config.MirrorConfig.Audit;
import io.claudemirror.exchange.Exchange;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Clock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes one audit line per request ({@link AuditRecord}) to {@code {audit.dir}/audit-YYYY-MM-DD.jsonl}. Map it
 * first, before auth, so rejected requests (401, 413, 429…) and cache hits are audited too. The line is written
 * when the response has really ended ({@link Exchange#onComplete}), through a bounded queue and one writer
 * thread: a request never waits for the disk. An empty {@code audit.dir} turns auditing off; a directory that
 * cannot be created or written stops start-up.
 */
public class AuditFilter extends MirrorFilter {
    /** Queue capacity: at ~500 bytes a line, at most ~5 MB of memory while the disk lags. */
    public static final int QUEUE_CAPACITY = 10_000;

    private static final Logger LOG = LoggerFactory.getLogger(AuditFilter.class);
    /** Request attribute set once the request's record is scheduled, so a second pass never writes a second line. */
    private static final String SCHEDULED = AuditFilter.class.getName() + ".scheduled";

    private AuditSink sink;

    public AuditFilter() {
    }

    public AuditFilter(MirrorRuntime runtime) {
        super(runtime);
    }

    @Override
    protected void init(MirrorRuntime runtime) throws ServletException {
        Audit audit = runtime.config().audit();
        AuditStats stats = runtime.service(AuditStats.class, AuditStats::new);
        sink = runtime.serviceIfPresent(AuditSink.class);
        if (sink == null && audit.sink().equals("slf4j")) {
            sink = runtime.service(AuditSink.class, () -> new Slf4jAuditSink(stats));
        }
        if (sink == null) {
            if (audit.dir() == null || audit.dir().isBlank()) {
                LOG.info("Claude Mirror audit: off (audit.dir is empty)");
                return;
            }
            try {
                Path dir = Path.of(audit.dir());
                sink = runtime.service(AuditSink.class, () -> new AuditWriter(dir, audit.retention(), QUEUE_CAPACITY,
                        stats, Clock.systemUTC(), audit.hashChain()).start());
            } catch (UncheckedIOException | InvalidPathException e) {
                String why = e instanceof UncheckedIOException u ? u.getMessage() + ": " + u.getCause().getMessage()
                        : e.getMessage();
                throw new ServletException("audit.dir: " + why);
            }
        }
        LOG.info("Claude Mirror audit: writing to {} (retention {})", sink.describe(),
                audit.retention().isZero() ? "forever" : audit.retention());
    }

    /** Records every request, refused ones included. */
    @Override
    protected FrontDoor.Needs needs() {
        return FrontDoor.Needs.NOTHING;
    }

    @Override
    protected void filter(Exchange exchange, HttpServletRequest request, HttpServletResponse response,
                          FilterChain chain) throws IOException, ServletException {
        AuditSink w = sink;
        if (w != null && request.getAttribute(SCHEDULED) == null) {
            request.setAttribute(SCHEDULED, Boolean.TRUE);
            AuditRecord.RequestLine line = AuditRecord.RequestLine.of(exchange, request);
            exchange.onComplete(ex -> w.offer(ex.startMillis(), AuditRecord.line(ex, line, System.nanoTime())));
        }
        chain.doFilter(request, response);
    }
}
