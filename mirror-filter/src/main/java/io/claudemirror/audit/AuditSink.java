package io.claudemirror.audit;

/**
 * Where finished audit lines go. Built in: the daily files ({@code audit.sink: file}, the default) and SLF4J
 * ({@code audit.sink: slf4j}, {@link Slf4jAuditSink}). A host can supply its own before the context starts:
 * {@code runtime.service(AuditSink.class, () -> mySink)}; the audit filter then uses it. Implementations must
 * never block the request thread: {@link #offer} is called when a response has ended.
 */
public interface AuditSink extends AutoCloseable {
    /**
     * Takes one record: {@code line} is a complete JSON object without a line break; {@code epochMillis} is the
     * request's start. Returns false when the record was dropped (and counted).
     */
    boolean offer(long epochMillis, String line);

    /** A description for the start-up log line. */
    String describe();

    @Override
    default void close() {
    }
}
