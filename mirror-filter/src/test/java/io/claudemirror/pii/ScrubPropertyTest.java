package io.claudemirror.pii;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.claudemirror.pii.RequestScrubber.Edit;
import io.claudemirror.pii.RequestScrubber.Result;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;

/**
 * Any JSON request body, scrubbed, is still valid JSON in which every value except the user-content strings is
 * unchanged, and each user-content string is exactly its findings replaced. The bodies mix Messages-shaped
 * structure (every block type, any key order, odd types in odd places) with arbitrary JSON, and are written
 * with random escapes ({@code \u0040}, {@code \/}) so the raw-byte edits are tested against real escaping.
 */
class ScrubPropertyTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final PiiScanner SCANNER = PiiScanner.defaults();
    private static final String[] PIECES = {
        "13800138000", "+86 138 0013 8000", "zhang.san@example.com", "110101199003077715", "6222021234567890128",
        "91110108MA01ABCD2H", "192.168.1.10", "2001:db8::8a2e:370:7334", "AKIAIOSFODNN7EXAMPLE",
        "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkq\n-----END PRIVATE KEY-----",
        "hello", "你好，世界", "order 2023111512345678", "12:30:45", "v1.2.3.4", "[PHONE]", "sk-learn", "\"q\"",
        "back\\slash", "tab\there", "\u0001", "😀", "", " ", "\n", "@Override", "a/b",
    };

    @Provide
    Arbitrary<String> text() {
        Arbitrary<String> piece = Arbitraries.oneOf(Arbitraries.of(PIECES), Arbitraries.strings().ofMaxLength(6),
                Arbitraries.strings().withCharRange('0', '9').ofMinLength(10).ofMaxLength(19));
        return piece.list().ofMaxSize(6).map(l -> String.join(" ", l));
    }

    Arbitrary<Object> anyValue(int depth) {
        Arbitrary<Object> leaf = Arbitraries.oneOf(text().map(s -> (Object) s), Arbitraries.longs().map(l -> (Object) l),
                Arbitraries.of(true, false).map(b -> (Object) b), Arbitraries.just(null),
                Arbitraries.doubles().ofScale(3).between(-1e6, 1e6).map(d -> (Object) d));
        if (depth <= 0) {
            return leaf;
        }
        Arbitrary<Object> list = Arbitraries.lazy(() -> anyValue(depth - 1)).list().ofMaxSize(3).map(l -> (Object) l);
        Arbitrary<Object> map = Arbitraries.maps(Arbitraries.oneOf(Arbitraries.of("text", "type", "content", "input",
                "messages", "system", "x"), Arbitraries.strings().alpha().ofMaxLength(5)), Arbitraries.lazy(() -> anyValue(depth - 1)))
                .ofMaxSize(4).map(m -> (Object) new LinkedHashMap<>(m));
        return Arbitraries.frequencyOf(net.jqwik.api.Tuple.of(4, leaf), net.jqwik.api.Tuple.of(1, list),
                net.jqwik.api.Tuple.of(1, map));
    }

    Arbitrary<Object> block(boolean nested) {
        Arbitrary<String> type = nested ? Arbitraries.of("text", "image", "text", "search_result")
                : Arbitraries.of("text", "tool_result", "tool_use", "thinking", "image", "document", "weird");
        Arbitrary<List<Object>> nestedBlocks = nested ? Arbitraries.just(List.of())
                : Arbitraries.lazy(() -> block(true)).list().ofMaxSize(2);
        return Combinators.combine(type, text(), anyValue(1), nestedBlocks,
                Arbitraries.integers().between(0, 4)).as((t, s, extra, inner, shape) -> {
                    Map<String, Object> b = new LinkedHashMap<>();
                    b.put("type", shape == 4 ? 7 : t);
                    switch (t) {
                        case "tool_result" -> b.put("content", shape % 2 == 0 ? s : new ArrayList<Object>(inner));
                        case "tool_use" -> {
                            Map<String, Object> input = new LinkedHashMap<>();
                            input.put("q", s);
                            input.put("more", List.of(s, extra == null ? "z" : extra, Map.of("deep", s)));
                            b.put("input", shape == 3 ? s : input);
                            b.put("name", s);
                        }
                        case "thinking" -> b.put("thinking", s);
                        // base64 data is never text; text documents are scanned (RequestScrubberTest pins that)
                        case "image", "document" -> b.put("source", Map.of("type", "base64", "data", s));
                        default -> b.put("text", shape == 1 ? extra : s);
                    }
                    b.put("cache_control", extra);
                    return (Object) b;
                });
    }

    @Provide
    Arbitrary<Object> bodies() {
        Arbitrary<Object> content = Arbitraries.oneOf(text().map(s -> (Object) s),
                block(false).list().ofMaxSize(4).map(l -> (Object) l), anyValue(1));
        Arbitrary<Object> message = Combinators.combine(Arbitraries.of("user", "assistant", "system"), content, text())
                .as((role, c, name) -> {
                    Map<String, Object> m = new LinkedHashMap<>();
                    m.put("role", role);
                    m.put("content", c);
                    m.put("name", name);
                    return (Object) m;
                });
        Arbitrary<Object> shaped = Combinators.combine(message.list().ofMaxSize(4), Arbitraries.oneOf(text().map(s -> (Object) s),
                block(false).list().ofMaxSize(2).map(l -> (Object) l), anyValue(1)), anyValue(2), text())
                .as((messages, system, other, model) -> {
                    Map<String, Object> b = new LinkedHashMap<>();
                    b.put("model", model);
                    b.put("metadata", Map.of("user_id", model));
                    b.put("system", system);
                    b.put("messages", messages);
                    b.put("tools", other);
                    b.put("max_tokens", 1024);
                    return (Object) b;
                });
        return Arbitraries.frequencyOf(net.jqwik.api.Tuple.of(5, shaped), net.jqwik.api.Tuple.of(1, anyValue(3)));
    }

    @Property(tries = 400)
    void scrubbedBodiesStayValidWithOnlyFindingsChanged(@ForAll("bodies") Object body, @ForAll long seed)
            throws Exception {
        String source = write(body, new Random(seed));
        byte[] raw = source.getBytes(StandardCharsets.UTF_8);
        JsonNode before = JSON.readTree(raw);
        for (Edit edit : new Edit[] {Edit.MASK, Edit.REDACT, Edit.NONE}) {
            PlaceholderVault vault = SCANNER.newVault("t");
            Result r = RequestScrubber.scrub(SCANNER, raw, raw.length, edit, vault);
            JsonNode after = JSON.readTree(new String(r.body, 0, r.length, StandardCharsets.UTF_8));
            int[] found = {0};
            compare(before, after, edit, vault, found, Place.OTHER, "");
            if (edit == Edit.MASK) {
                Statistics.label("bodies with findings").collect(found[0] > 0);
            }
            if (found[0] == 0 || edit == Edit.NONE) {
                assertThat(r.body).as("a body without findings, or in detect mode, is untouched").isSameAs(raw);
            }
        }
    }

    enum Place { OTHER, SYSTEM, MESSAGES, MESSAGE, CONTENT, BLOCKS, NESTED, NESTED_BLOCKS, INPUT }

    /** Walks both trees; user-content strings must be their findings replaced, everything else equal. */
    private void compare(JsonNode a, JsonNode b, Edit edit, PlaceholderVault vault, int[] found, Place place, String path) {
        if (a.isTextual() && (place == Place.SYSTEM || place == Place.CONTENT || place == Place.INPUT)) {
            assertThat(b.asText()).as(path).isEqualTo(expected(a.asText(), edit, vault, found));
            return;
        }
        assertThat(b.getNodeType()).as(path).isEqualTo(a.getNodeType());
        if (a.isArray()) {
            assertThat(b.size()).as(path).isEqualTo(a.size());
            Place inner = switch (place) {
                case MESSAGES -> Place.MESSAGE;
                case SYSTEM, CONTENT -> Place.BLOCKS;
                case INPUT -> Place.INPUT;
                default -> Place.OTHER;
            };
            for (int i = 0; i < a.size(); i++) {
                compare(a.get(i), b.get(i), edit, vault, found, inner, path + "/" + i);
            }
        } else if (a.isObject()) {
            String type = a.path("type").isTextual() ? a.path("type").asText() : "";
            Iterator<String> names = a.fieldNames();
            assertThat(b.size()).as(path).isEqualTo(a.size());
            while (names.hasNext()) {
                String n = names.next();
                Place p = Place.OTHER;
                if (path.isEmpty() && n.equals("system")) {
                    p = Place.SYSTEM;
                } else if (path.isEmpty() && n.equals("messages")) {
                    p = Place.MESSAGES;
                } else if (place == Place.MESSAGE && n.equals("content")) {
                    p = Place.CONTENT;
                } else if (place == Place.INPUT) {
                    p = Place.INPUT;
                } else if (place == Place.BLOCKS || place == Place.NESTED_BLOCKS) {
                    boolean text = type.equals("text") && n.equals("text");
                    boolean result = place == Place.BLOCKS && type.equals("tool_result") && n.equals("content");
                    boolean input = place == Place.BLOCKS && type.equals("tool_use") && n.equals("input");
                    if (text || (result && a.get(n).isTextual())) {
                        p = Place.CONTENT;
                    } else if (result && a.get(n).isArray()) {
                        p = Place.NESTED;
                    } else if (input) {
                        p = Place.INPUT;
                    }
                }
                if (p == Place.NESTED) {
                    JsonNode an = a.get(n);
                    JsonNode bn = b.get(n);
                    assertThat(bn.size()).isEqualTo(an.size());
                    for (int i = 0; i < an.size(); i++) {
                        compare(an.get(i), bn.get(i), edit, vault, found, Place.NESTED_BLOCKS, path + "/" + n + "/" + i);
                    }
                } else {
                    compare(a.get(n), b.get(n), edit, vault, found, p, path + "/" + n);
                }
            }
        } else {
            assertThat(b).as(path).isEqualTo(a);
        }
    }

    /** The oracle: the scanner's findings in the decoded string, replaced as the mode says. */
    private static String expected(String text, Edit edit, PlaceholderVault vault, int[] found) {
        List<PiiFinding> findings = SCANNER.scan(text);
        found[0] += findings.size();
        if (edit == Edit.NONE) {
            return text;
        }
        StringBuilder sb = new StringBuilder();
        int at = 0;
        for (PiiFinding f : findings) {
            String value = text.substring(f.start(), f.end());
            sb.append(text, at, f.start()).append(edit == Edit.MASK ? "[" + f.label() + "]"
                    : vault.placeholder(f.type(), f.label(), value));
            at = f.end();
        }
        return sb.append(text.substring(at)).toString();
    }

    /** Writes JSON with random but legal escapes and whitespace. */
    static String write(Object v, Random r) {
        StringBuilder sb = new StringBuilder();
        write(v, r, sb);
        return sb.toString();
    }

    @SuppressWarnings("unchecked")
    private static void write(Object v, Random r, StringBuilder sb) {
        if (r.nextInt(8) == 0) {
            sb.append(r.nextBoolean() ? " " : "\n  ");
        }
        if (v == null || v instanceof Number || v instanceof Boolean) {
            sb.append(v);
        } else if (v instanceof String s) {
            string(s, r, sb);
        } else if (v instanceof List<?> l) {
            sb.append('[');
            for (int i = 0; i < l.size(); i++) {
                sb.append(i == 0 ? "" : ",");
                write(l.get(i), r, sb);
            }
            sb.append(']');
        } else {
            sb.append('{');
            int i = 0;
            for (Map.Entry<String, Object> e : ((Map<String, Object>) v).entrySet()) {
                sb.append(i++ == 0 ? "" : ",");
                string(e.getKey(), r, sb);
                sb.append(r.nextInt(6) == 0 ? " : " : ":");
                write(e.getValue(), r, sb);
            }
            sb.append('}');
        }
    }

    private static void string(String s, Random r, StringBuilder sb) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            int roll = r.nextInt(12);
            if (c == '"' || c == '\\') {
                sb.append('\\').append(c);
            } else if (c == '\n' && roll > 3) {
                sb.append("\\n");
            } else if (c < 0x20 || Character.isSurrogate(c) && roll == 0 || roll == 1) {
                sb.append(String.format("\\u%04x", (int) c));
            } else if (c == '/' && roll < 6) {
                sb.append("\\/");
            } else if (Character.isSurrogate(c) && !validPair(s, i)) {
                sb.append(String.format("\\u%04X", (int) c));
            } else {
                sb.append(c);
            }
        }
        sb.append('"');
    }

    private static boolean validPair(String s, int i) {
        char c = s.charAt(i);
        return Character.isHighSurrogate(c) ? i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))
                : i > 0 && Character.isHighSurrogate(s.charAt(i - 1));
    }
}
