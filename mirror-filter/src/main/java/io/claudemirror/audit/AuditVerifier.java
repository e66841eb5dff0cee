package io.claudemirror.audit;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Checks the hash chain of audit files ({@code audit.hashChain: true}) and reports the first broken line of each:
 * <pre>
 * java -cp mirror-filter.jar io.claudemirror.audit.AuditVerifier ./audit            # every audit-*.jsonl
 * java -cp mirror-filter.jar io.claudemirror.audit.AuditVerifier ./audit/audit-2026-11-02.jsonl
 * </pre>
 * Exit status 0 when every file is intact, 1 when one is not, 2 on a usage or read error. What each finding
 * means: a line whose {@code seq} jumps ahead follows removed lines; one whose {@code seq} goes back was moved;
 * a line whose {@code prev} is not the hash of the line before, with {@code seq} in order, follows an edited line.
 */
public final class AuditVerifier {
    /** The outcome for one file: intact with {@code records} lines, or the first problem. */
    public record Result(Path file, long records, long line, String problem) {
        public boolean intact() {
            return problem == null;
        }

        @Override
        public String toString() {
            return intact() ? file + ": intact, " + records + " records"
                    : file + ": line " + line + ": " + problem;
        }
    }

    private AuditVerifier() {
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length == 0) {
            err.println("usage: AuditVerifier DIR|FILE...  (checks the hash chain of audit-*.jsonl files)");
            return 2;
        }
        boolean broken = false;
        try {
            for (String arg : args) {
                for (Path file : files(Path.of(arg))) {
                    Result r = verify(file);
                    out.println(r);
                    broken |= !r.intact();
                }
            }
        } catch (IOException e) {
            err.println("cannot read: " + e.getMessage());
            return 2;
        }
        return broken ? 1 : 0;
    }

    static List<Path> files(Path p) throws IOException {
        if (!Files.isDirectory(p)) {
            return List.of(p);
        }
        try (Stream<Path> s = Files.list(p)) {
            List<Path> list = new ArrayList<>(s.filter(f -> f.getFileName().toString().matches("audit-.*\\.jsonl"))
                    .sorted().toList());
            return list;
        }
    }

    /** Verifies one file's chain from its first line. */
    public static Result verify(Path file) throws IOException {
        String expectedPrev = HashChain.genesis(file.getFileName().toString());
        long expectedSeq = 1;
        long lineNo = 0;
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            for (String line = r.readLine(); line != null; line = r.readLine()) {
                lineNo++;
                long seq = HashChain.seqOf(line);
                String prev = HashChain.prevOf(line);
                if (seq == 0 || prev == null) {
                    return new Result(file, lineNo - 1, lineNo, "no hash chain fields (seq, prev): an edited or "
                            + "inserted line, or a file written without audit.hashChain");
                }
                if (seq > expectedSeq) {
                    return new Result(file, lineNo - 1, lineNo, (seq - expectedSeq) + " record(s) missing before "
                            + "this line (seq " + seq + ", expected " + expectedSeq + ")");
                }
                if (seq < expectedSeq) {
                    return new Result(file, lineNo - 1, lineNo, "out of order: seq " + seq + " after seq "
                            + (expectedSeq - 1) + " (a line was moved)");
                }
                if (!prev.equals(expectedPrev)) {
                    return new Result(file, lineNo - 1, lineNo - 1, lineNo == 1
                            ? "the first line does not start this file's chain (renamed file, or lines removed at the start)"
                            : "edited: its hash does not match the prev of line " + lineNo);
                }
                expectedPrev = HashChain.hashOf(line);
                expectedSeq++;
            }
        }
        return new Result(file, lineNo, 0, null);
    }
}
