package io.claudemirror.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The writer's promises: never blocks, whole lines, the record's own day, drain on close, retention. */
class AuditWriterTest {
    static final long DAY1 = Instant.parse("2030-03-01T23:59:59.500Z").toEpochMilli();
    static final long DAY2 = Instant.parse("2030-03-02T00:00:00.100Z").toEpochMilli();

    @TempDir
    Path dir;
    final AuditStats stats = new AuditStats();

    AuditWriter writer(int capacity) {
        return new AuditWriter(dir, Duration.ZERO, capacity, stats, Clock.systemUTC());
    }

    @Test
    void aFullQueueDropsAndCountsInsteadOfBlocking() throws Exception {
        AuditWriter w = writer(100); // not started: nothing drains the queue
        long t0 = System.nanoTime();
        int accepted = 0;
        for (int i = 0; i < 10_100; i++) {
            if (w.offer(DAY1, "{\"n\":" + i + "}")) {
                accepted++;
            }
        }
        Duration took = Duration.ofNanos(System.nanoTime() - t0);
        assertThat(accepted).isEqualTo(100);
        assertThat(stats.dropped()).isEqualTo(10_000);
        assertThat(stats.queueDepth()).isEqualTo(100);
        assertThat(took).as("10,100 offers against a full queue").isLessThan(Duration.ofSeconds(1));

        w.start();
        w.close();
        List<String> lines = Files.readAllLines(dir.resolve("audit-2030-03-01.jsonl"));
        assertThat(lines).hasSize(100).first().isEqualTo("{\"n\":0}");
        assertThat(stats.written()).isEqualTo(100);
        assertThat(w.offer(DAY1, "{}")).as("closed").isFalse();
    }

    @Test
    void eachRecordGoesToTheFileOfItsOwnUtcDay() throws Exception {
        AuditWriter w = writer(100);
        w.offer(DAY1, "{\"a\":1}");
        w.offer(DAY2, "{\"b\":2}");
        w.offer(DAY1, "{\"c\":3}");
        w.start().close();
        assertThat(Files.readAllLines(dir.resolve("audit-2030-03-01.jsonl"))).containsExactly("{\"a\":1}", "{\"c\":3}");
        assertThat(Files.readAllLines(dir.resolve("audit-2030-03-02.jsonl"))).containsExactly("{\"b\":2}");
    }

    @Test
    void recordsAreVisibleSoonAfterTheyAreQueued() throws Exception {
        AuditWriter w = writer(100).start();
        try {
            long day = System.currentTimeMillis();
            w.offer(day, "{\"soon\":true}");
            Path file = dir.resolve(AuditFiles.fileName(AuditFiles.dayOf(day)));
            long deadline = System.nanoTime() + Duration.ofSeconds(1).toNanos();
            while (!(Files.exists(file) && Files.readString(file).endsWith("{\"soon\":true}\n"))
                    && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertThat(file).hasContent("{\"soon\":true}");
        } finally {
            w.close();
        }
    }

    @Test
    void utf8AndWholeLinesUnderConcurrentWriters() throws Exception {
        AuditWriter w = writer(100_000).start();
        Thread[] threads = new Thread[4];
        for (int t = 0; t < threads.length; t++) {
            int id = t;
            threads[t] = new Thread(() -> {
                for (int i = 0; i < 2_000; i++) {
                    w.offer(DAY1, "{\"t\":" + id + ",\"i\":" + i + ",\"ua\":\"Zürich ✓ " + "x".repeat(i % 300) + "\"}");
                }
            });
            threads[t].start();
        }
        for (Thread t : threads) {
            t.join();
        }
        w.close();
        List<String> lines = Files.readAllLines(dir.resolve("audit-2030-03-01.jsonl"), StandardCharsets.UTF_8);
        assertThat(lines).hasSize(8_000).allSatisfy(l -> assertThat(l).startsWith("{\"t\":").endsWith("\"}")
                .contains("Zürich ✓"));
        assertThat(stats.dropped()).isZero();
    }

    @Test
    void writeFailuresAreCountedAndTheWriterCarriesOn() throws Exception {
        Path file = dir.resolve("audit-2030-03-01.jsonl");
        Files.createDirectory(file); // a directory where the file should be: every open fails
        AuditWriter w = writer(100);
        w.offer(DAY1, "{\"lost\":1}");
        w.offer(DAY2, "{\"kept\":2}");
        w.start().close();
        assertThat(stats.failures()).isEqualTo(1);
        assertThat(Files.readAllLines(dir.resolve("audit-2030-03-02.jsonl"))).containsExactly("{\"kept\":2}");
    }

    @Test
    void anUnusableDirectoryFailsAtConstruction() throws Exception {
        Path notADir = Files.writeString(dir.resolve("plain-file"), "x");
        assertThatThrownBy(() -> new AuditWriter(notADir.resolve("audit"), Duration.ZERO, 10, stats, Clock.systemUTC()))
                .isInstanceOf(UncheckedIOException.class).hasMessageContaining("audit directory");
    }

    @Test
    void retentionDeletesFilesWhoseDayEndedBeforeTheCutoff() throws Exception {
        for (String name : List.of("audit-2030-02-20.jsonl", "audit-2030-02-21.jsonl", "audit-2030-02-22.jsonl",
                "audit-2030-02-28.jsonl", "audit-2030-02-20.jsonl.gz", "notes.txt", "audit-2030-13-01.jsonl")) {
            Files.writeString(dir.resolve(name), "x");
        }
        // Now 2030-03-01T12:00Z, retention 7d: cutoff 2030-02-22T12:00Z. The 21st ended at 22nd 00:00 (deleted);
        // the 22nd ends at 23rd 00:00, after the cutoff (kept).
        int n = AuditFiles.sweep(dir, Duration.ofDays(7), Instant.parse("2030-03-01T12:00:00Z"));
        assertThat(n).isEqualTo(2);
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder(
                    "audit-2030-02-22.jsonl", "audit-2030-02-28.jsonl", "audit-2030-02-20.jsonl.gz", "notes.txt",
                    "audit-2030-13-01.jsonl");
        }
        assertThat(AuditFiles.sweep(dir, Duration.ZERO, Instant.parse("2099-01-01T00:00:00Z")))
                .as("zero retention keeps everything").isZero();
    }

    @Test
    void theWriterSweepsAtStart() throws Exception {
        Path old = Files.writeString(dir.resolve("audit-2001-01-01.jsonl"), "x");
        Clock fixed = Clock.fixed(Instant.parse("2030-03-01T00:00:00Z"), ZoneOffset.UTC);
        new AuditWriter(dir, Duration.ofDays(1), 10, stats, fixed).start().close();
        assertThat(old).doesNotExist();
        assertThat(AuditFiles.dayOf("audit-2030-03-01.jsonl")).isEqualTo(LocalDate.of(2030, 3, 1));
    }

    @Test
    void truncationNeverSplitsASurrogatePair() {
        String s = "a".repeat(9) + "😀";
        assertThat(AuditRecord.truncate(s, 10)).isEqualTo("a".repeat(9));
        assertThat(AuditRecord.truncate("short", 10)).isEqualTo("short");
        assertThat(AuditRecord.cache(null)).isEqualTo("NONE");
        assertThat(AuditRecord.cache("hit")).isEqualTo("HIT");
    }
}
