package io.claudemirror.pii;

import java.nio.charset.StandardCharsets;

/**
 * Byte-level helpers for JSON string values inside a raw UTF-8 document: find where a string ends, map a
 * decoded char index back to its raw byte offset (UTF-8 sequences and JSON escapes), and escape a value for
 * insertion. The scrubber scans the chars Jackson decoded and edits the raw bytes, so the mapping must agree
 * with Jackson's decoding char for char; malformed UTF-8 (which Jackson rejects) maps to one char per byte.
 */
final class JsonText {
    private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

    private JsonText() {
    }

    /** Index of the closing quote of a string whose content starts at {@code from}; -1 if it does not end. */
    static int closingQuote(byte[] b, int from, int limit) {
        for (int i = from; i < limit; i++) {
            byte x = b[i];
            if (x == '"') {
                return i;
            }
            if (x == '\\') {
                i++;
            }
        }
        return -1;
    }

    /**
     * Fills {@code starts[k]} with the raw byte offset at which char {@code k} of the decoded content begins,
     * and {@code starts[n]} with {@code to}. Both chars of a surrogate pair from one 4-byte sequence share the
     * sequence's start. Returns n, the decoded length, which for valid UTF-8 equals Jackson's (the scrubber
     * checks): {@code starts} must hold {@code to - from + 1} ints.
     */
    static int rawStarts(byte[] b, int from, int to, int[] starts) {
        int n = 0;
        int i = from;
        while (i < to) {
            byte x = b[i];
            if (x >= 0 && x != '\\') {
                starts[n++] = i++;
                continue;
            }
            long r = step(b, i, to);
            int cp = (int) (r >>> 32);
            starts[n++] = i;
            if (cp >= 0x10000) {
                starts[n++] = i;
            }
            i = (int) r;
        }
        starts[n] = to;
        return n;
    }

    /** Reads one escape or multi-byte sequence at {@code i}: code point in the high half, next index low. */
    private static long step(byte[] b, int i, int to) {
        int x = b[i] & 0xFF;
        if (x == '\\') {
            if (i + 1 >= to) {
                return pack(0xFFFD, i + 1);
            }
            switch (b[i + 1]) {
                case 'n': return pack('\n', i + 2);
                case 't': return pack('\t', i + 2);
                case 'r': return pack('\r', i + 2);
                case 'b': return pack('\b', i + 2);
                case 'f': return pack('\f', i + 2);
                case 'u': {
                    int v = i + 5 < to ? hex4(b, i + 2) : -1;
                    return v < 0 ? pack(0xFFFD, i + 2) : pack(v, i + 6);
                }
                default: return pack(b[i + 1] & 0xFF, i + 2); // \" \\ \/ and anything lenient
            }
        }
        int need;
        int cp;
        if (x >= 0xF0 && x <= 0xF4) {
            need = 3;
            cp = x & 0x07;
        } else if (x >= 0xE0 && x <= 0xEF) {
            need = 2;
            cp = x & 0x0F;
        } else if (x >= 0xC2 && x < 0xE0) {
            need = 1;
            cp = x & 0x1F;
        } else {
            return pack(0xFFFD, i + 1);
        }
        if (i + need >= to) {
            return pack(0xFFFD, i + 1);
        }
        for (int k = 1; k <= need; k++) {
            int y = b[i + k] & 0xFF;
            if ((y & 0xC0) != 0x80) {
                return pack(0xFFFD, i + 1);
            }
            cp = (cp << 6) | (y & 0x3F);
        }
        boolean overlongOrSurrogate = need == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF));
        if (overlongOrSurrogate || (need == 3 && (cp < 0x10000 || cp > 0x10FFFF))) {
            return pack(0xFFFD, i + 1);
        }
        return pack(cp, i + 1 + need);
    }

    private static long pack(int codePoint, int next) {
        return ((long) codePoint << 32) | (next & 0xFFFFFFFFL);
    }

    private static int hex4(byte[] b, int i) {
        int v = 0;
        for (int k = 0; k < 4; k++) {
            int d = Character.digit(b[i + k], 16);
            if (d < 0) {
                return -1;
            }
            v = (v << 4) | d;
        }
        return v;
    }

    /** Appends {@code s} escaped as JSON string content (no quotes), UTF-8 encoded, to {@code out}. */
    static void escape(CharSequence s, ByteSink out) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c >= 0x20 && c < 0x80) {
                if (c == '"' || c == '\\') {
                    out.put((byte) '\\');
                }
                out.put((byte) c);
            } else if (c < 0x20) {
                switch (c) {
                    case '\n': out.put((byte) '\\').put((byte) 'n'); break;
                    case '\r': out.put((byte) '\\').put((byte) 'r'); break;
                    case '\t': out.put((byte) '\\').put((byte) 't'); break;
                    default:
                        out.put((byte) '\\').put((byte) 'u').put((byte) '0').put((byte) '0')
                                .put(HEX[c >> 4]).put(HEX[c & 0xF]);
                }
            } else if (Character.isHighSurrogate(c) && i + 1 < s.length()
                    && Character.isLowSurrogate(s.charAt(i + 1))) {
                putUtf8(Character.toCodePoint(c, s.charAt(++i)), out);
            } else if (Character.isSurrogate(c)) {
                // A lone surrogate has no UTF-8 form; the escape keeps the document valid JSON.
                out.put((byte) '\\').put((byte) 'u').put(HEX[c >> 12]).put(HEX[(c >> 8) & 0xF])
                        .put(HEX[(c >> 4) & 0xF]).put(HEX[c & 0xF]);
            } else {
                putUtf8(c, out);
            }
        }
    }

    /** The JSON-escaped form of {@code s}, escaped {@code times} times (1 for a string, 2 inside partial_json). */
    static byte[] escaped(String s, int times) {
        String current = s;
        ByteSink sink = new ByteSink(s.length() + 16);
        for (int t = 0; t < times; t++) {
            sink.clear();
            escape(current, sink);
            if (t + 1 < times) {
                current = new String(sink.array(), 0, sink.size(), StandardCharsets.UTF_8);
            }
        }
        return sink.toArray();
    }

    private static void putUtf8(int cp, ByteSink out) {
        if (cp < 0x800) {
            out.put((byte) (0xC0 | (cp >> 6))).put((byte) (0x80 | (cp & 0x3F)));
        } else if (cp < 0x10000) {
            out.put((byte) (0xE0 | (cp >> 12))).put((byte) (0x80 | ((cp >> 6) & 0x3F)))
                    .put((byte) (0x80 | (cp & 0x3F)));
        } else {
            out.put((byte) (0xF0 | (cp >> 18))).put((byte) (0x80 | ((cp >> 12) & 0x3F)))
                    .put((byte) (0x80 | ((cp >> 6) & 0x3F))).put((byte) (0x80 | (cp & 0x3F)));
        }
    }
}
