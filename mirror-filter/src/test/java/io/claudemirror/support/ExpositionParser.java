package io.claudemirror.support;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A strict parser of the Prometheus text format 0.0.4 and OpenMetrics 1.0 text, for tests: every line must be a
 * comment of the known forms or a sample of the family its {@code # TYPE} announced (with that type's suffixes),
 * names and labels must be valid, label values correctly escaped, values numbers, no family or sample repeated,
 * and OpenMetrics must end with {@code # EOF}. Any violation throws with the line number.
 */
public final class ExpositionParser {
    /** A parsed sample. */
    public record Sample(String name, Map<String, String> labels, double value) {
    }

    /** A parsed family: name as in {@code # TYPE}, its type, HELP and samples. */
    public record Family(String name, String type, String help, List<Sample> samples) {
    }

    private static final Pattern NAME = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
    private static final Pattern LABEL = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]*");
    private static final Pattern VALUE = Pattern.compile("[+-]?(?:Inf|NaN|[0-9]*\\.?[0-9]+(?:[eE][+-]?[0-9]+)?)");
    private static final Set<String> TEXT_TYPES = Set.of("counter", "gauge", "summary", "histogram", "untyped");
    private static final Set<String> OM_TYPES = Set.of("counter", "gauge", "summary", "histogram", "unknown", "info",
            "stateset", "gaugehistogram");

    private final boolean openMetrics;
    private final Map<String, Family> families = new LinkedHashMap<>();
    private final Set<String> seenSamples = new HashSet<>();
    private Family current;
    private String pendingHelpName;
    private String pendingHelp;
    private int lineNo;

    private ExpositionParser(boolean openMetrics) {
        this.openMetrics = openMetrics;
    }

    /** Parses text format 0.0.4. */
    public static Map<String, Family> text(String body) {
        return new ExpositionParser(false).parse(body);
    }

    /** Parses OpenMetrics 1.0 text. */
    public static Map<String, Family> openMetrics(String body) {
        return new ExpositionParser(true).parse(body);
    }

    private Map<String, Family> parse(String body) {
        if (!body.endsWith("\n")) {
            fail("the exposition must end with a newline");
        }
        String[] lines = body.split("\n", -1);
        boolean eof = false;
        for (int i = 0; i < lines.length - 1; i++) {
            lineNo = i + 1;
            String line = lines[i];
            if (eof) {
                fail("nothing may follow # EOF");
            }
            if (line.equals("# EOF")) {
                if (!openMetrics) {
                    fail("# EOF is OpenMetrics only");
                }
                eof = true;
            } else if (line.startsWith("# HELP ")) {
                help(line.substring(7));
            } else if (line.startsWith("# TYPE ")) {
                type(line.substring(7));
            } else if (line.startsWith("# UNIT ") && openMetrics) {
                continue;
            } else if (line.startsWith("#")) {
                fail("unknown comment line: " + line);
            } else if (line.isEmpty()) {
                fail("empty line");
            } else {
                sample(line);
            }
        }
        if (openMetrics && !eof) {
            fail("OpenMetrics must end with # EOF");
        }
        return families;
    }

    private void help(String rest) {
        int sp = rest.indexOf(' ');
        String name = sp < 0 ? rest : rest.substring(0, sp);
        requireName(name);
        String text = sp < 0 ? "" : rest.substring(sp + 1);
        if (current != null && current.name().equals(name) && current.samples().isEmpty()) {
            // OpenMetrics writes TYPE before HELP; both orders describe the family that follows.
            if (current.help() != null) {
                fail("HELP repeated for " + name);
            }
            current = new Family(name, current.type(), text, current.samples());
            families.put(name, current);
            return;
        }
        pendingHelpName = name;
        pendingHelp = text;
        if (pendingHelp.matches(".*\\\\[^\\\\n\"].*") && openMetrics || pendingHelp.matches(".*\\\\[^\\\\n].*") && !openMetrics) {
            fail("bad escape in HELP");
        }
    }

    private void type(String rest) {
        String[] parts = rest.split(" ");
        if (parts.length != 2) {
            fail("# TYPE needs a name and a type");
        }
        requireName(parts[0]);
        if (!(openMetrics ? OM_TYPES : TEXT_TYPES).contains(parts[1])) {
            fail("unknown type " + parts[1]);
        }
        if (families.containsKey(parts[0])) {
            fail("family " + parts[0] + " announced twice");
        }
        if (pendingHelpName != null && !pendingHelpName.equals(parts[0])) {
            fail("HELP for " + pendingHelpName + " followed by TYPE of " + parts[0]);
        }
        current = new Family(parts[0], parts[1], pendingHelpName == null ? null : pendingHelp, new ArrayList<>());
        families.put(parts[0], current);
        pendingHelpName = null;
    }

    private void sample(String line) {
        Matcher m = NAME.matcher(line);
        if (!m.lookingAt()) {
            fail("a sample must start with a metric name");
        }
        String name = m.group();
        int pos = m.end();
        Map<String, String> labels = new LinkedHashMap<>();
        if (pos < line.length() && line.charAt(pos) == '{') {
            pos = labels(line, pos + 1, labels);
        }
        if (pos >= line.length() || line.charAt(pos) != ' ') {
            fail("a single space must separate the sample from its value");
        }
        String[] rest = line.substring(pos + 1).split(" ");
        if (rest.length > 2 || !VALUE.matcher(rest[0]).matches()) {
            fail("bad value '" + line.substring(pos + 1) + "'");
        }
        if (current == null) {
            fail("sample " + name + " before any # TYPE");
        }
        String suffix = suffix(current, name);
        if (suffix == null) {
            fail("sample " + name + " does not belong to family " + current.name() + " (" + current.type() + ")");
        }
        if (current.type().equals("summary") && suffix.isEmpty() != labels.containsKey("quantile")) {
            fail("summary quantile samples, and only they, carry the quantile label");
        }
        if (!seenSamples.add(name + labels)) {
            fail("sample repeated: " + name + labels);
        }
        current.samples().add(new Sample(name, labels, Double.parseDouble(rest[0].replace("Inf", "Infinity"))));
    }

    private int labels(String line, int pos, Map<String, String> out) {
        while (true) {
            if (pos < line.length() && line.charAt(pos) == '}') {
                return pos + 1;
            }
            Matcher m = LABEL.matcher(line).region(pos, line.length());
            if (!m.lookingAt()) {
                fail("bad label name at column " + pos);
            }
            String label = m.group();
            pos = m.end();
            if (!line.startsWith("=\"", pos)) {
                fail("label " + label + " needs =\"value\"");
            }
            pos += 2;
            StringBuilder value = new StringBuilder();
            while (true) {
                if (pos >= line.length()) {
                    fail("unterminated label value");
                }
                char c = line.charAt(pos++);
                if (c == '"') {
                    break;
                }
                if (c == '\\') {
                    char e = pos < line.length() ? line.charAt(pos++) : 0;
                    switch (e) {
                        case '\\' -> value.append('\\');
                        case '"' -> value.append('"');
                        case 'n' -> value.append('\n');
                        default -> fail("bad escape \\" + e + " in label " + label);
                    }
                } else {
                    value.append(c);
                }
            }
            if (out.put(label, value.toString()) != null) {
                fail("label " + label + " repeated");
            }
            if (pos < line.length() && line.charAt(pos) == ',') {
                pos++;
            } else if (pos >= line.length() || line.charAt(pos) != '}') {
                fail("labels must be separated by commas and closed by }");
            }
        }
    }

    /** The suffix {@code name} carries within {@code family}, or null when it does not belong there. */
    private String suffix(Family family, String name) {
        String base = family.name();
        if (!name.startsWith(base)) {
            return null;
        }
        String suffix = name.substring(base.length());
        List<String> allowed = switch (family.type()) {
            case "counter" -> openMetrics ? List.of("_total", "_created") : List.of("");
            case "summary" -> List.of("", "_count", "_sum", "_created");
            case "histogram", "gaugehistogram" -> List.of("_bucket", "_count", "_sum", "_created", "_gcount", "_gsum");
            case "info" -> List.of("_info");
            default -> List.of("");
        };
        return allowed.contains(suffix) ? suffix : null;
    }

    private void requireName(String name) {
        if (!NAME.matcher(name).matches()) {
            fail("invalid metric name '" + name + "'");
        }
    }

    private void fail(String message) {
        throw new IllegalArgumentException("line " + lineNo + ": " + message);
    }
}
