package io.claudemirror.ownership;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.claudemirror.exchange.ApiRequest;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The durable ownership index: what it answers, how long it remembers, and that a crash loses nothing committed. */
class MvStoreOwnershipIndexTest {
    static final Instant T0 = Instant.parse("2026-03-01T10:00:00Z");

    @TempDir
    Path dir;

    @Test
    void anIdBelongsToItsRecordedTenantAndToNobodyWithoutARecord() {
        try (OwnershipIndex index = MvStoreOwnershipIndex.open(dir)) {
            assertThat(index.owner(ApiRequest.FILE, "file_1")).isNull();
            index.record("team-a", ApiRequest.FILE, "file_1", null);
            assertThat(index.owner(ApiRequest.FILE, "file_1")).isEqualTo("team-a");
            // the kind is part of the key: a batch id spelled like a file id is another thing
            assertThat(index.owner(ApiRequest.BATCH, "file_1")).isNull();
            assertThat(index.remove(ApiRequest.FILE, "file_1")).isTrue();
            assertThat(index.owner(ApiRequest.FILE, "file_1")).isNull();
            assertThat(index.remove(ApiRequest.FILE, "file_1")).isFalse();
        }
    }

    @Test
    void recordsSurviveAReopen() {
        try (OwnershipIndex index = MvStoreOwnershipIndex.open(dir)) {
            index.record("team-a", ApiRequest.FILE, "file_a", null);
            index.record("team\tb", ApiRequest.BATCH, "msgbatch_b", T0.plus(Duration.ofDays(3650)));
        }
        assertThat(dir.resolve(MvStoreOwnershipIndex.FILE_NAME)).exists();
        try (OwnershipIndex index = MvStoreOwnershipIndex.open(dir)) {
            assertThat(index.owner(ApiRequest.FILE, "file_a")).isEqualTo("team-a");
            assertThat(index.owner(ApiRequest.BATCH, "msgbatch_b")).isEqualTo("team\tb");
            assertThat(index.list()).extracting(OwnershipIndex.Entry::id).containsExactlyInAnyOrder("file_a", "msgbatch_b");
        }
    }

    @Test
    void aBatchRecordExpiresWithTheUpstreamsRetentionAFileRecordNever() {
        MutableClock clock = new MutableClock(T0);
        try (OwnershipIndex index = MvStoreOwnershipIndex.open(dir, clock)) {
            index.record("team-a", ApiRequest.BATCH, "msgbatch_1", Retention.expiresAt(ApiRequest.BATCH, T0));
            index.record("team-a", ApiRequest.FILE, "file_1", Retention.expiresAt(ApiRequest.FILE, T0));
            clock.advance(Duration.ofDays(29).minusSeconds(1));
            assertThat(index.owner(ApiRequest.BATCH, "msgbatch_1")).isEqualTo("team-a");
            clock.advance(Duration.ofSeconds(1));
            assertThat(index.owner(ApiRequest.BATCH, "msgbatch_1")).isNull();
            assertThat(index.list()).extracting(OwnershipIndex.Entry::id).containsExactly("file_1");
            assertThat(index.sweep(clock.instant())).isEqualTo(1);
            clock.advance(Duration.ofDays(3650));
            assertThat(index.owner(ApiRequest.FILE, "file_1")).isEqualTo("team-a");
        }
    }

    @Test
    void assignReplacesTheOwnerAndReportsThePreviousOne() {
        try (OwnershipIndex index = MvStoreOwnershipIndex.open(dir)) {
            assertThat(index.assign(ApiRequest.FILE, "file_x", "team-a", null)).isNull();
            assertThat(index.assign(ApiRequest.FILE, "file_x", "team-b", null)).isEqualTo("team-a");
            assertThat(index.owner(ApiRequest.FILE, "file_x")).isEqualTo("team-b");
        }
    }

    @Test
    void twoMirrorsInOneJvmShareTheFileUntilTheLastCloses() {
        OwnershipIndex first = MvStoreOwnershipIndex.open(dir);
        OwnershipIndex second = MvStoreOwnershipIndex.open(dir);
        first.record("team-a", ApiRequest.FILE, "file_shared", null);
        assertThat(second.owner(ApiRequest.FILE, "file_shared")).isEqualTo("team-a");
        first.close();
        assertThat(second.owner(ApiRequest.FILE, "file_shared")).isEqualTo("team-a");
        assertThatThrownBy(() -> first.owner(ApiRequest.FILE, "file_shared")).isInstanceOf(IllegalStateException.class);
        second.close();
    }

    @Test
    void aDirectoryThatCannotBeCreatedIsNamed() throws Exception {
        Path file = Files.writeString(dir.resolve("not-a-dir"), "x");
        assertThatThrownBy(() -> MvStoreOwnershipIndex.open(file.resolve("state")))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("state.dir");
    }

    /**
     * A child JVM records ids as fast as it can and is killed (SIGKILL) in the middle of it: every id it had
     * reported as recorded is there after reopening.
     */
    @Test
    void aKilledWriterLosesNoCommittedRecord() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process child = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                CrashingWriter.class.getName(), dir.toString()).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        List<String> committed = new ArrayList<>();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while (committed.size() < 200 && (line = out.readLine()) != null) {
                committed.add(line);
            }
            // Still writing: killed between (or inside) two records. Destroying closes our end of its output too.
            assertThat(child.isAlive()).isTrue();
            child.destroyForcibly();
            assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
        }
        assertThat(committed).hasSizeGreaterThanOrEqualTo(200);
        try (OwnershipIndex index = MvStoreOwnershipIndex.open(dir)) {
            for (String id : committed) {
                assertThat(index.owner(ApiRequest.FILE, id)).as(id).isEqualTo("team-a");
            }
        }
    }
}
