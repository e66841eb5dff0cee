package io.claudemirror.audit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Audit records as INFO lines on the logger {@value #LOGGER}, for hosts that ship logs to a SIEM already: the
 * logging backend decides files, rotation and transport (route that logger to its own appender, without a
 * pattern that adds text to the JSON). Records are metadata only, as in the files. No hash chain: the chain
 * describes a file's lines, and here the backend owns the file.
 */
public final class Slf4jAuditSink implements AuditSink {
    /** The logger name. */
    public static final String LOGGER = "claude.mirror.audit";

    private final Logger log;
    private final AuditStats stats;

    public Slf4jAuditSink(AuditStats stats) {
        this(LoggerFactory.getLogger(LOGGER), stats);
    }

    Slf4jAuditSink(Logger log, AuditStats stats) {
        this.log = log;
        this.stats = stats;
    }

    @Override
    public boolean offer(long epochMillis, String line) {
        if (!log.isInfoEnabled()) {
            // Switched off in the logging configuration: count it, as a full queue is counted.
            stats.dropped.inc();
            return false;
        }
        log.info(line);
        stats.written.inc();
        return true;
    }

    @Override
    public String describe() {
        return "SLF4J logger " + LOGGER;
    }
}
