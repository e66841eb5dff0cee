package io.claudemirror.audit;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Names of the daily audit files ({@code audit-YYYY-MM-DD.jsonl}, UTC) and the retention sweep. The sweep only
 * ever touches files whose name has exactly that form, so other files an operator keeps in the directory
 * (compressed archives, notes) are left alone.
 */
final class AuditFiles {
    private static final Pattern NAME = Pattern.compile("audit-(\\d{4}-\\d{2}-\\d{2})\\.jsonl");

    private AuditFiles() {
    }

    static String fileName(LocalDate day) {
        return "audit-" + day + ".jsonl";
    }

    static LocalDate dayOf(long epochMillis) {
        return LocalDate.ofInstant(Instant.ofEpochMilli(epochMillis), ZoneOffset.UTC);
    }

    /** The day a file holds, or null if the name is not an audit file's. */
    static LocalDate dayOf(String fileName) {
        Matcher m = NAME.matcher(fileName);
        if (!m.matches()) {
            return null;
        }
        try {
            return LocalDate.parse(m.group(1));
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    /**
     * Deletes the files whose every record is older than {@code retention}: the file of day D is deleted once
     * the end of D (midnight UTC) lies more than {@code retention} in the past. A zero retention keeps
     * everything. Returns the number of files deleted.
     */
    static int sweep(Path dir, Duration retention, Instant now) throws IOException {
        if (retention.isZero() || retention.isNegative() || !Files.isDirectory(dir)) {
            return 0;
        }
        Instant cutoff = now.minus(retention);
        int deleted = 0;
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "audit-*.jsonl")) {
            for (Path f : files) {
                LocalDate day = dayOf(f.getFileName().toString());
                if (day != null && day.plusDays(1).atStartOfDay(ZoneOffset.UTC).toInstant().isBefore(cutoff)
                        && Files.isRegularFile(f) && Files.deleteIfExists(f)) {
                    deleted++;
                }
            }
        }
        return deleted;
    }
}
