package io.claudemirror.pii;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * Runs the shipped detectors over the checked-in corpus and reports precision and recall per type.
 * <ul>
 *   <li>{@code pii/corpus.txt}: realistic Chinese and English text; true positives marked {@code ⟦type|value⟧},
 *       everything else (bad checksums, order numbers, timestamps, versions, hashes, code) must not be reported.
 *       It is the detectors' specification: every sample must pass.</li>
 *   <li>{@code pii/limits.txt}: what the detectors knowingly get wrong ({@code ⟦miss:…⟧} not reported,
 *       {@code ⟦fp:…⟧} reported although harmless); each must still behave as documented, and the figures
 *       including them are reported too.</li>
 * </ul>
 * A finding counts as a true positive only with the exact type and span.
 */
class PiiCorpusTest {
    private static final char OPEN = '⟦';
    private static final char CLOSE = '⟧';

    /** An annotated span: kind is "" (true positive), "miss" or "fp". */
    record Mark(String kind, String type, int start, int end) {
    }

    record Sample(String file, int line, String text, List<Mark> marks) {
    }

    static List<Sample> read(String file) throws IOException {
        List<Sample> samples = new ArrayList<>();
        try (InputStream in = PiiCorpusTest.class.getResourceAsStream("/pii/" + file)) {
            String[] lines = new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n");
            for (int i = 0; i < lines.length; i++) {
                if (!lines[i].isBlank() && !lines[i].startsWith("#")) {
                    samples.add(parse(file, i + 1, lines[i].replace("\\n", "\n")));
                }
            }
        }
        return samples;
    }

    private static Sample parse(String file, int line, String marked) {
        StringBuilder text = new StringBuilder();
        List<Mark> marks = new ArrayList<>();
        int i = 0;
        while (i < marked.length()) {
            char c = marked.charAt(i);
            if (c == OPEN) {
                int bar = marked.indexOf('|', i);
                int close = marked.indexOf(CLOSE, i);
                String label = marked.substring(i + 1, bar);
                String value = marked.substring(bar + 1, close);
                int colon = label.indexOf(':');
                marks.add(new Mark(colon < 0 ? "" : label.substring(0, colon), label.substring(colon + 1), text.length(),
                        text.length() + value.length()));
                text.append(value);
                i = close + 1;
            } else {
                text.append(c);
                i++;
            }
        }
        return new Sample(file, line, text.toString(), marks);
    }

    /** Counts per type: {TP, FP, FN}. */
    private static final class Tally {
        final Map<String, int[]> byType = new TreeMap<>();
        final List<String> notes = new ArrayList<>();

        int[] of(String type) {
            return byType.computeIfAbsent(type, k -> new int[3]);
        }

        String report(String title) {
            StringBuilder sb = new StringBuilder("\n" + title + "\ntype              TP  FP  FN  precision  recall\n");
            int[] all = new int[3];
            for (Map.Entry<String, int[]> e : byType.entrySet()) {
                int[] v = e.getValue();
                for (int k = 0; k < 3; k++) {
                    all[k] += v[k];
                }
                sb.append(line(e.getKey(), v));
            }
            return sb.append(line("all", all)).toString();
        }

        private static String line(String name, int[] v) {
            return String.format("%-16s %4d %3d %3d  %9.3f  %6.3f%n", name, v[0], v[1], v[2], precision(v), recall(v));
        }
    }

    static double precision(int[] v) {
        return v[0] + v[1] == 0 ? 1.0 : (double) v[0] / (v[0] + v[1]);
    }

    static double recall(int[] v) {
        return v[0] + v[2] == 0 ? 1.0 : (double) v[0] / (v[0] + v[2]);
    }

    private static void tally(PiiScanner scanner, List<Sample> samples, Tally t) {
        for (Sample s : samples) {
            List<PiiFinding> found = scanner.scan(s.text());
            for (PiiFinding f : found) {
                Mark m = s.marks().stream().filter(x -> same(x, f)).findFirst().orElse(null);
                boolean truePositive = m != null && m.kind().isEmpty();
                t.of(f.type())[truePositive ? 0 : 1]++;
                if (!truePositive) {
                    t.notes.add(s.file() + ":" + s.line() + " reported " + f.type() + ": " + s.text().substring(f.start(), f.end()));
                }
            }
            for (Mark m : s.marks()) {
                boolean reported = found.stream().anyMatch(f -> same(m, f));
                if (!m.kind().equals("fp") && !reported) {
                    t.of(m.type())[2]++;
                    t.notes.add(s.file() + ":" + s.line() + " missed " + m.type() + ": " + s.text().substring(m.start(), m.end()));
                }
            }
        }
    }

    private static boolean same(Mark m, PiiFinding f) {
        return m.type().equals(f.type()) && m.start() == f.start() && m.end() == f.end();
    }

    @Test
    void everyCorpusSampleIsRightAndTheLimitsAreAsDocumented() throws IOException {
        PiiScanner scanner = PiiScanner.defaults();
        Tally corpus = new Tally();
        for (PiiDetector d : scanner.detectors()) {
            corpus.of(d.type());
        }
        tally(scanner, read("corpus.txt"), corpus);
        Tally withLimits = new Tally();
        tally(scanner, read("corpus.txt"), withLimits);
        tally(scanner, read("limits.txt"), withLimits);
        System.out.println(corpus.report("PII corpus (pii/corpus.txt)"));
        System.out.println(withLimits.report("PII corpus including the documented limits (pii/limits.txt)"));
        withLimits.notes.forEach(System.out::println);

        for (Map.Entry<String, int[]> e : corpus.byType.entrySet()) {
            assertThat(e.getValue()[0]).as("true positives of %s in the corpus", e.getKey()).isGreaterThanOrEqualTo(5);
        }
        assertThat(corpus.notes).as("corpus samples the detectors get wrong").isEmpty();

        // Each documented limit still holds: misses are not reported, false positives are.
        for (Sample s : read("limits.txt")) {
            List<PiiFinding> found = scanner.scan(s.text());
            for (Mark m : s.marks()) {
                boolean reported = found.stream().anyMatch(f -> same(m, f));
                assertThat(reported).as("%s:%d %s %s (update docs/pii.md and limits.txt if this changed)", s.file(),
                        s.line(), m.kind(), s.text().substring(m.start(), m.end())).isEqualTo(m.kind().equals("fp"));
            }
        }
    }
}
