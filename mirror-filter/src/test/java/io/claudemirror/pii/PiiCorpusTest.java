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
 * Runs every shipped detector over the checked-in corpus ({@code pii/corpus.txt}: realistic Chinese and English
 * text, true positives marked, look-alikes unmarked) and reports precision and recall per type. A finding
 * counts as a true positive only with the exact type and span.
 */
class PiiCorpusTest {
    private static final char OPEN = '⟦';
    private static final char CLOSE = '⟧';

    record Sample(int line, String text, List<PiiFinding> expected) {
    }

    static List<Sample> corpus() throws IOException {
        List<Sample> samples = new ArrayList<>();
        try (InputStream in = PiiCorpusTest.class.getResourceAsStream("/pii/corpus.txt")) {
            String[] lines = new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n");
            for (int i = 0; i < lines.length; i++) {
                String raw = lines[i];
                if (raw.isBlank() || raw.startsWith("#")) {
                    continue;
                }
                samples.add(parse(i + 1, raw.replace("\\n", "\n")));
            }
        }
        return samples;
    }

    private static Sample parse(int line, String marked) {
        StringBuilder text = new StringBuilder();
        List<PiiFinding> expected = new ArrayList<>();
        int i = 0;
        while (i < marked.length()) {
            char c = marked.charAt(i);
            if (c == OPEN) {
                int bar = marked.indexOf('|', i);
                int close = marked.indexOf(CLOSE, i);
                String type = marked.substring(i + 1, bar);
                String value = marked.substring(bar + 1, close);
                expected.add(new PiiFinding(type, null, text.length(), text.length() + value.length()));
                text.append(value);
                i = close + 1;
            } else {
                text.append(c);
                i++;
            }
        }
        return new Sample(line, text.toString(), expected);
    }

    @Test
    void precisionAndRecallPerDetector() throws IOException {
        PiiScanner scanner = PiiScanner.defaults();
        Map<String, int[]> stats = new TreeMap<>(); // type -> {tp, fp, fn}
        for (PiiDetector d : scanner.detectors()) {
            stats.put(d.type(), new int[3]);
        }
        List<String> misses = new ArrayList<>();
        for (Sample s : corpus()) {
            List<PiiFinding> found = scanner.scan(s.text());
            for (PiiFinding f : found) {
                boolean expected = s.expected().stream().anyMatch(e -> same(e, f));
                stats.get(f.type())[expected ? 0 : 1]++;
                if (!expected) {
                    misses.add("line " + s.line() + " false positive " + f.type() + ": "
                            + s.text().substring(f.start(), f.end()));
                }
            }
            for (PiiFinding e : s.expected()) {
                if (found.stream().noneMatch(f -> same(e, f))) {
                    stats.get(e.type())[2]++;
                    misses.add("line " + s.line() + " missed " + e.type() + ": " + s.text().substring(e.start(), e.end()));
                }
            }
        }
        StringBuilder report = new StringBuilder("\nPII corpus: type, TP, FP, FN, precision, recall\n");
        int tp = 0;
        int fp = 0;
        int fn = 0;
        for (Map.Entry<String, int[]> e : stats.entrySet()) {
            int[] v = e.getValue();
            tp += v[0];
            fp += v[1];
            fn += v[2];
            report.append(String.format("%-16s %3d %3d %3d  %.3f  %.3f%n", e.getKey(), v[0], v[1], v[2],
                    ratio(v[0], v[0] + v[1]), ratio(v[0], v[0] + v[2])));
            assertThat(v[0]).as("true positives of %s in the corpus", e.getKey()).isGreaterThanOrEqualTo(4);
        }
        report.append(String.format("%-16s %3d %3d %3d  %.3f  %.3f%n", "all", tp, fp, fn, ratio(tp, tp + fp),
                ratio(tp, tp + fn)));
        System.out.println(report);
        misses.forEach(System.out::println);
        for (Map.Entry<String, int[]> e : stats.entrySet()) {
            int[] v = e.getValue();
            assertThat(ratio(v[0], v[0] + v[1])).as("precision of %s; %s", e.getKey(), misses).isGreaterThanOrEqualTo(0.9);
            assertThat(ratio(v[0], v[0] + v[2])).as("recall of %s; %s", e.getKey(), misses).isGreaterThanOrEqualTo(0.9);
        }
        assertThat(ratio(tp, tp + fp)).as("overall precision; %s", misses).isGreaterThanOrEqualTo(0.95);
        assertThat(ratio(tp, tp + fn)).as("overall recall; %s", misses).isGreaterThanOrEqualTo(0.95);
    }

    private static boolean same(PiiFinding expected, PiiFinding found) {
        return expected.type().equals(found.type()) && expected.start() == found.start() && expected.end() == found.end();
    }

    private static double ratio(int a, int b) {
        return b == 0 ? 1.0 : (double) a / b;
    }
}
