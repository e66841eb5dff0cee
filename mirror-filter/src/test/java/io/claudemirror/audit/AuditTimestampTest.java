package io.claudemirror.audit;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import org.junit.jupiter.api.Test;

/** The cached-second timestamp writer gives exactly ISO-8601 UTC with milliseconds. */
class AuditTimestampTest {
    @Test
    void matchesIsoInstantWithMillis() {
        long[] samples = {0L, 999L, 1000L, 1_764_224_958_123L, 1_764_224_958_007L, 1_764_224_959_050L, -1L};
        for (long millis : samples) {
            StringBuilder sb = new StringBuilder();
            AuditRecord.timestamp(sb, millis);
            Instant i = Instant.ofEpochMilli(millis);
            String iso = i.truncatedTo(ChronoUnit.SECONDS).toString().replace("Z", "")
                    + String.format(".%03dZ", Math.floorMod(millis, 1000L));
            assertThat(sb.toString()).as("millis %d", millis).isEqualTo(iso);
        }
    }
}
