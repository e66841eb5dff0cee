package io.claudemirror.audit;

import static org.assertj.core.api.Assertions.assertThat;

import io.claudemirror.config.MirrorConfig;
import io.claudemirror.support.Http;
import io.claudemirror.support.MirrorServer;
import io.claudemirror.support.MirrorServer.Container;
import io.claudemirror.testkit.FakeAnthropic;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.event.EventRecordingLogger;
import org.slf4j.event.SubstituteLoggingEvent;
import org.slf4j.helpers.SubstituteLogger;

/**
 * The hash chain through a real mirror, the verifier finding an edited, a removed and a moved line, a chain that
 * survives a restart, and the sinks: SLF4J and a host's own.
 */
class AuditIntegrityTest {
    static final String KEY = "sk-audit-chain";
    static final long DAY = Instant.parse("2030-05-01T10:00:00Z").toEpochMilli();

    @TempDir
    Path dir;

    /** Five requests through a mirror with audit.hashChain: true; returns the day's file once it holds five lines. */
    Path chainedFileFromRealTraffic() throws Exception {
        try (FakeAnthropic fake = FakeAnthropic.start()) {
            MirrorConfig config = MirrorConfig.builder().upstream("primary", fake.baseUrl(), "sk-up")
                    .tenant("t", "plain:" + KEY).set("audit.dir", dir.toString()).set("audit.hashChain", "true").build();
            try (MirrorServer mirror = MirrorServer.start(Container.JETTY, config)) {
                for (int i = 0; i < 5; i++) {
                    Http.send(Http.post(mirror.baseUrl() + "/v1/messages", i == 2 ? "sk-wrong" : KEY,
                            Http.messages("record " + i, false)));
                }
                // A record is offered when the exchange completes, which can follow the client's last byte.
                AuditStats stats = mirror.runtime().serviceIfPresent(AuditStats.class);
                for (long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(5); stats.written() < 5
                        && System.nanoTime() < end; ) {
                    Thread.onSpinWait();
                }
            }
        }
        try (var files = Files.list(dir)) {
            Path file = files.filter(f -> f.toString().endsWith(".jsonl")).findFirst().orElseThrow();
            assertThat(Files.readAllLines(file)).hasSize(5);
            return file;
        }
    }

    Path copy(Path original, List<String> lines) throws Exception {
        Path d = Files.createDirectories(dir.resolve("tampered-" + System.nanoTime()));
        return Files.write(d.resolve(original.getFileName()), lines);
    }

    @Test
    void anIntactChainVerifiesAndEveryKindOfTamperingIsFoundAtItsLine() throws Exception {
        Path file = chainedFileFromRealTraffic();
        List<String> lines = Files.readAllLines(file);
        assertThat(lines.get(0)).contains("\"seq\":1,\"prev\":\"").endsWith("\"}");
        assertThat(lines.get(2)).contains("\"status\":401");
        assertThat(AuditVerifier.verify(file).intact()).isTrue();
        assertThat(AuditVerifier.verify(file).records()).isEqualTo(5);

        List<String> edited = new ArrayList<>(lines);
        edited.set(2, edited.get(2).replace("\"status\":401", "\"status\":200"));
        AuditVerifier.Result e = AuditVerifier.verify(copy(file, edited));
        assertThat(e.intact()).isFalse();
        assertThat(e.line()).isEqualTo(3);
        assertThat(e.problem()).startsWith("edited");

        List<String> removed = new ArrayList<>(lines);
        removed.remove(3);
        AuditVerifier.Result r = AuditVerifier.verify(copy(file, removed));
        assertThat(r.line()).isEqualTo(4);
        assertThat(r.problem()).contains("1 record(s) missing");

        List<String> reordered = new ArrayList<>(lines);
        Collections.swap(reordered, 1, 3);
        AuditVerifier.Result o = AuditVerifier.verify(copy(file, reordered));
        assertThat(o.line()).isEqualTo(2);
        assertThat(o.problem()).contains("missing"); // seq 4 where 2 was due: the first symptom of the move
        List<String> swappedNeighbours = new ArrayList<>(lines);
        Collections.swap(swappedNeighbours, 3, 4);
        AuditVerifier.Result n = AuditVerifier.verify(copy(file, swappedNeighbours));
        assertThat(n.line()).isEqualTo(4);
        assertThat(n.problem()).contains("missing");
        List<String> movedBack = new ArrayList<>(lines);
        movedBack.add(1, movedBack.remove(3));
        assertThat(AuditVerifier.verify(copy(file, movedBack)).problem()).isNotNull();

        List<String> firstRemoved = new ArrayList<>(lines.subList(1, lines.size()));
        assertThat(AuditVerifier.verify(copy(file, firstRemoved)).line()).isEqualTo(1);
    }

    @Test
    void theCommandReportsAndExitsNonZeroOnTampering() throws Exception {
        Path file = chainedFileFromRealTraffic();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream ps = new PrintStream(out, true, StandardCharsets.UTF_8);
        assertThat(AuditVerifier.run(new String[] {dir.toString()}, ps, ps)).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("intact, 5 records");

        List<String> lines = new ArrayList<>(Files.readAllLines(file));
        lines.set(1, lines.get(1).replace("\"method\":\"POST\"", "\"method\":\"GET\""));
        Files.write(file, lines);
        out.reset();
        assertThat(AuditVerifier.run(new String[] {dir.toString()}, ps, ps)).isEqualTo(1);
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("line 2: edited");
        assertThat(AuditVerifier.run(new String[0], ps, ps)).isEqualTo(2);
    }

    @Test
    void aRestartedWriterContinuesTheChainOfTheDaysFile() throws Exception {
        AuditStats stats = new AuditStats();
        AuditWriter first = new AuditWriter(dir, Duration.ZERO, 100, stats, Clock.systemUTC(), true);
        first.offer(DAY, "{\"n\":1}");
        first.offer(DAY, "{\"n\":2}");
        first.start().close();
        AuditWriter second = new AuditWriter(dir, Duration.ZERO, 100, stats, Clock.systemUTC(), true);
        second.offer(DAY, "{\"n\":3}");
        second.start().close();
        Path file = dir.resolve("audit-2030-05-01.jsonl");
        assertThat(Files.readAllLines(file)).hasSize(3).last().asString().startsWith("{\"n\":3,\"seq\":3,\"prev\":\"");
        assertThat(AuditVerifier.verify(file).intact()).isTrue();
    }

    @Test
    void theSlf4jSinkLogsEachRecordAsOneInfoLine() {
        Queue<SubstituteLoggingEvent> events = new ConcurrentLinkedQueue<>();
        SubstituteLogger named = new SubstituteLogger(Slf4jAuditSink.LOGGER, events, false);
        AuditStats stats = new AuditStats();
        Slf4jAuditSink sink = new Slf4jAuditSink(new EventRecordingLogger(named, events), stats);
        assertThat(sink.offer(DAY, "{\"requestId\":\"req_1\",\"note\":\"{}\"}")).isTrue();
        SubstituteLoggingEvent e = events.poll();
        assertThat(e.getLevel().toString()).isEqualTo("INFO");
        assertThat(e.getMessage()).isEqualTo("{\"requestId\":\"req_1\",\"note\":\"{}\"}");
        assertThat(e.getLoggerName()).isEqualTo("claude.mirror.audit");
        assertThat(stats.written()).isEqualTo(1);
    }

    @Test
    void aHostsOwnSinkReceivesTheRecords() throws Exception {
        List<String> received = new CopyOnWriteArrayList<>();
        CountDownLatch two = new CountDownLatch(2);
        AuditSink mine = new AuditSink() {
            @Override
            public boolean offer(long epochMillis, String line) {
                received.add(line);
                two.countDown();
                return true;
            }

            @Override
            public String describe() {
                return "the host's sink";
            }
        };
        // A host registers its sink on the runtime before the context starts; the audit filter then uses it.
        try (FakeAnthropic fake = FakeAnthropic.start()) {
            MirrorConfig config = MirrorConfig.builder().upstream("primary", fake.baseUrl(), "sk-up")
                    .tenant("t", "plain:" + KEY).set("audit.dir", dir.resolve("unused2").toString()).build();
            io.claudemirror.MirrorRuntime runtime = new io.claudemirror.MirrorRuntime(config);
            runtime.service(AuditSink.class, () -> mine);
            try (MirrorServer host = MirrorServer.host(Container.TOMCAT, "", ctx ->
                    io.claudemirror.ClaudeMirror.install(ctx, runtime, new com.codahale.metrics.MetricRegistry()))) {
                Http.send(Http.post(host.baseUrl() + "/v1/messages", KEY, Http.messages("one", false)));
                Http.send(Http.post(host.baseUrl() + "/v1/messages", "sk-wrong", Http.messages("two", false)));
                assertThat(two.await(5, TimeUnit.SECONDS)).isTrue();
            } finally {
                runtime.close();
            }
        }
        assertThat(received).hasSize(2).allSatisfy(l -> assertThat(l).startsWith("{").doesNotContain("one"));
        assertThat(Files.exists(dir.resolve("unused2"))).isFalse();
    }
}
