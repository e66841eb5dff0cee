package io.claudemirror.audit;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.LocalDate;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Appends audit lines to the daily files from one background thread. Invariants:
 * <ul>
 * <li>{@link #offer} never blocks: a full queue drops the record, counts it, and warns at most once a minute;</li>
 * <li>the file only ever receives whole lines: lines are batched in memory and each batch is written with one
 * call, then flushed as soon as the queue is empty, so a record is readable within milliseconds;</li>
 * <li>a record goes to the file of its own {@code ts} day (UTC), so a request that started before midnight is
 * found under the day it started;</li>
 * <li>an I/O error loses the batch (counted in {@code audit.failures}, warned at most once a minute) and the file
 * is reopened for the next one: a full disk must not stop the mirror;</li>
 * <li>the retention sweep runs at start and every hour, on the same thread;</li>
 * <li>{@link #close} writes out what is queued (bounded by a timeout) before returning.</li>
 * </ul>
 */
final class AuditWriter implements AuditSink {
    private static final Logger LOG = LoggerFactory.getLogger(AuditWriter.class);
    private static final long WARN_INTERVAL_NANOS = TimeUnit.MINUTES.toNanos(1);
    private static final long SWEEP_INTERVAL_MILLIS = TimeUnit.HOURS.toMillis(1);
    private static final int BATCH_BYTES = 64 * 1024;
    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(10);

    /**
     * One queued record: the day comes from {@code epochMillis}, the text is the finished JSON line; or, with
     * {@code flushed} set, a barrier the writer releases once everything queued before it is on disk.
     */
    record Entry(long epochMillis, String line, java.util.concurrent.CountDownLatch flushed) {
        Entry(long epochMillis, String line) {
            this(epochMillis, line, null);
        }
    }

    private final Path dir;
    private final Duration retention;
    private final BlockingQueue<Entry> queue;
    private final int capacity;
    private final AuditStats stats;
    private final Clock clock;
    private final Thread thread;
    private final AtomicLong lastDropWarn = new AtomicLong(System.nanoTime() - WARN_INTERVAL_NANOS);
    private volatile boolean closing;
    private final boolean hashChain;

    // Writer-thread state only.
    private final StringBuilder batch = new StringBuilder(BATCH_BYTES + 1024);
    private int batchLines;
    private LocalDate batchDay;
    private long batchEpochDay = Long.MIN_VALUE;
    private LocalDate openDay;
    private OutputStream out;
    private HashChain chain;
    private long nextSweepMillis;
    private long lastFailureWarn = System.nanoTime() - WARN_INTERVAL_NANOS;

    /**
     * Creates the directory (so a bad {@code audit.dir} fails at start-up, not at the first request) but does not
     * start the thread: call {@link #start}.
     */
    AuditWriter(Path dir, Duration retention, int capacity, AuditStats stats, Clock clock) {
        this(dir, retention, capacity, stats, clock, false);
    }

    /** With {@code hashChain}, every line carries {@code seq} and {@code prev} ({@link HashChain}). */
    AuditWriter(Path dir, Duration retention, int capacity, AuditStats stats, Clock clock, boolean hashChain) {
        this.hashChain = hashChain;
        this.dir = dir;
        this.retention = retention;
        this.capacity = capacity;
        this.queue = new ArrayBlockingQueue<>(capacity);
        this.stats = stats;
        this.clock = clock;
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the audit directory " + dir.toAbsolutePath(), e);
        }
        if (!Files.isWritable(dir)) {
            throw new UncheckedIOException(new IOException("the audit directory " + dir.toAbsolutePath()
                    + " is not writable"));
        }
        stats.queueDepth(queue::size);
        thread = new Thread(this::run, "claude-mirror-audit");
        thread.setDaemon(true);
    }

    AuditWriter start() {
        thread.start();
        return this;
    }

    Path dir() {
        return dir;
    }

    @Override
    public String describe() {
        return "files under " + dir.toAbsolutePath() + (hashChain ? " with a hash chain" : "");
    }

    /**
     * Waits until every line queued before this call has been written (or failed), at most {@code timeout}:
     * for an orderly hand-over, and for tests that must know nothing more is on its way.
     */
    public boolean awaitFlushed(java.time.Duration timeout) throws InterruptedException {
        java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(1);
        if (closing || !queue.offer(new Entry(0, null, done))) {
            return false;
        }
        return done.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    /** Queues a line for the file of {@code epochMillis}'s day; false (and counted) if it was dropped. */
    @Override
    public boolean offer(long epochMillis, String line) {
        if (!closing && queue.offer(new Entry(epochMillis, line))) {
            return true;
        }
        stats.dropped.inc();
        long now = System.nanoTime();
        long last = lastDropWarn.get();
        if (now - last >= WARN_INTERVAL_NANOS && lastDropWarn.compareAndSet(last, now)) {
            LOG.warn("Claude Mirror audit: {} (queue of {}); {} records dropped so far. The disk under {} is "
                            + "slower than the request rate.", closing ? "log closed" : "queue full", capacity,
                    stats.dropped(), dir.toAbsolutePath());
        }
        return false;
    }

    private void run() {
        sweepIfDue();
        while (!closing || !queue.isEmpty()) {
            Entry e;
            try {
                e = closing ? queue.poll() : queue.poll(250, TimeUnit.MILLISECONDS);
            } catch (InterruptedException ie) {
                // Only close() may stop this thread; an interrupt from elsewhere must not lose records.
                continue;
            }
            if (e != null) {
                // Take what is queued already (bounded, so the sweep still runs under constant load), then make it
                // visible with one write.
                int n = 0;
                java.util.concurrent.CountDownLatch barrier = null;
                do {
                    if (e.flushed() != null) {
                        barrier = e.flushed();
                        break;
                    }
                    append(e);
                } while (++n < capacity && (e = queue.poll()) != null);
                writeBatch();
                if (barrier != null) {
                    barrier.countDown();
                }
            }
            sweepIfDue();
        }
        closeFile();
    }

    private void append(Entry e) {
        // The day by arithmetic: a LocalDate (and its zone rules) per line showed in the allocation profile.
        long epochDay = Math.floorDiv(e.epochMillis(), 86_400_000L);
        if (epochDay != batchEpochDay) {
            writeBatch();
            batchEpochDay = epochDay;
            batchDay = LocalDate.ofEpochDay(epochDay);
        }
        batch.append(e.line()).append('\n');
        batchLines++;
        if (batch.length() >= BATCH_BYTES) {
            writeBatch();
        }
    }

    private void writeBatch() {
        if (batchLines == 0) {
            return;
        }
        int lines = batchLines;
        try {
            if (!batchDay.equals(openDay) || out == null) {
                closeFile();
                out = open(batchDay);
                openDay = batchDay;
                // Continue from the file as it is: after a restart or a failed write, its last line is the link.
                chain = hashChain ? HashChain.resume(dir.resolve(AuditFiles.fileName(batchDay))) : null;
            }
            write(chain == null ? batch : chained(batch));
            out.flush();
            stats.written.inc(lines);
        } catch (IOException | RuntimeException e) {
            stats.failures.inc(lines);
            closeFile();
            long now = System.nanoTime();
            if (now - lastFailureWarn >= WARN_INTERVAL_NANOS) {
                lastFailureWarn = now;
                LOG.warn("Claude Mirror audit: cannot write to {} ({}); {} records lost so far",
                        dir.resolve(AuditFiles.fileName(batchDay)).toAbsolutePath(), e.toString(), stats.failures());
            }
        } finally {
            batch.setLength(0);
            batchLines = 0;
        }
    }

    private void write(CharSequence text) throws IOException {
        // String.getBytes is intrinsified: for the (nearly always ASCII) lines it is two array copies, where a
        // CharsetEncoder over a wrapped StringBuilder reads char by char through CharBuffer (the profile showed
        // that as a sixth of the host's CPU samples).
        byte[] b = text.toString().getBytes(StandardCharsets.UTF_8);
        out.write(b, 0, b.length);
    }

    /** The batch as written: unchanged, or each line linked into the file's hash chain. */
    private String chained(StringBuilder lines) {
        if (chain == null) {
            return lines.toString();
        }
        StringBuilder sb = new StringBuilder(lines.length() + batchLines * 96);
        int from = 0;
        for (int nl = lines.indexOf("\n"); nl >= 0; from = nl + 1, nl = lines.indexOf("\n", from)) {
            sb.append(chain.link(lines.substring(from, nl))).append('\n');
        }
        return sb.toString();
    }

    private OutputStream open(LocalDate day) throws IOException {
        Path file = dir.resolve(AuditFiles.fileName(day));
        if (!Files.exists(file)) {
            Files.createDirectories(dir);
            try {
                // Audit files describe who used the API: readable by the owner and its group only.
                Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-r-----")));
            } catch (UnsupportedOperationException | FileAlreadyExistsException e) {
                // Not a POSIX file system, or another writer was first: append below creates or reuses it.
            }
        }
        return Files.newOutputStream(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND,
                StandardOpenOption.WRITE);
    }

    private void closeFile() {
        if (chain != null && out != null) {
            LOG.info("Claude Mirror audit: hash chain head of {} is {}", AuditFiles.fileName(openDay), chain.head());
        }
        chain = null;
        if (out != null) {
            try {
                out.close();
            } catch (IOException e) {
                LOG.debug("closing the audit file failed", e);
            }
            out = null;
            openDay = null;
        }
    }

    private void sweepIfDue() {
        long now = clock.millis();
        if (now < nextSweepMillis) {
            return;
        }
        nextSweepMillis = now + SWEEP_INTERVAL_MILLIS;
        try {
            int n = AuditFiles.sweep(dir, retention, clock.instant());
            if (n > 0) {
                LOG.info("Claude Mirror audit: deleted {} file(s) older than {} from {}", n, retention,
                        dir.toAbsolutePath());
            }
        } catch (IOException | RuntimeException e) {
            LOG.warn("Claude Mirror audit: retention sweep of {} failed: {}", dir.toAbsolutePath(), e.toString());
        }
    }

    /** Stops accepting records, writes out the queue, and waits for the thread (at most 10 s). */
    @Override
    public void close() {
        closing = true;
        if (!thread.isAlive()) {
            return;
        }
        try {
            thread.join(CLOSE_TIMEOUT.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (thread.isAlive()) {
            LOG.warn("Claude Mirror audit: {} records still queued after {}; giving up on them", queue.size(),
                    CLOSE_TIMEOUT);
        }
    }
}
