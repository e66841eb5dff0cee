package io.claudemirror.pii;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Scans the user-content strings of one request body and, in {@code mask} or {@code redact} mode, replaces each
 * finding's bytes in place. Only the raw bytes of a finding change: the rest of the string, its escapes and the
 * whole document around it reach the upstream byte for byte. A body with no finding is returned as is, without
 * a copy. Scratch buffers are per thread, so a clean request allocates nothing beyond the JSON parser.
 */
final class RequestScrubber {
    /** Scratch buffers larger than this are not kept between requests. */
    private static final int KEEP_CHARS = 1 << 18;

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private static final class Scratch {
        char[] chars = new char[4096];
        final ScanText text = new ScanText(chars, 0);
        final PiiMatches matches = new PiiMatches();
    }

    /** What a scan found and, if the body changed, the new bytes. */
    static final class Result {
        final int[] counts;
        byte[] body;
        int length;
        boolean changed;

        Result(int detectors) {
            counts = new int[detectors];
        }

        boolean found() {
            for (int c : counts) {
                if (c > 0) {
                    return true;
                }
            }
            return false;
        }
    }

    /** How findings are replaced. */
    enum Edit { NONE, MASK, REDACT }

    private RequestScrubber() {
    }

    /**
     * Scans {@code body[0, length)}. With {@link Edit#REDACT} the placeholders go into {@code vault}.
     * Throws IOException when the body is not well-formed JSON; a detector's exception propagates.
     */
    static Result scrub(PiiScanner scanner, byte[] body, int length, Edit edit, PlaceholderVault vault)
            throws IOException {
        ContentStrings strings = ContentStrings.ofRequest(body, length);
        Result result = new Result(scanner.detectorCount());
        Scratch s = SCRATCH.get();
        Edits edits = null;
        try {
            for (int r = 0; r < strings.size(); r++) {
                int from = strings.start(r);
                int to = strings.end(r);
                if (to == from) {
                    continue;
                }
                if (s.chars.length < to - from) {
                    s.chars = new char[Math.max(to - from, s.chars.length * 2)];
                }
                int n = JsonText.decode(body, from, to, s.chars);
                s.text.set(s.chars, n);
                PiiMatches m = s.matches;
                scanner.scan(s.text, m);
                if (m.size() == 0) {
                    continue;
                }
                for (int i = 0; i < m.size(); i++) {
                    result.counts[m.detector(i)]++;
                }
                if (edit == Edit.NONE) {
                    continue;
                }
                if (edits == null) {
                    edits = new Edits();
                }
                int[] rawStarts = new int[n + 1];
                JsonText.rawStarts(body, from, to, rawStarts);
                for (int i = 0; i < m.size(); i++) {
                    int d = m.detector(i);
                    String replacement = edit == Edit.MASK ? scanner.mask(d)
                            : vault.placeholder(scanner.detector(d).type(), scanner.detector(d).label(),
                                    new String(s.chars, m.start(i), m.end(i) - m.start(i)));
                    edits.add(rawStarts[m.start(i)], rawStarts[m.end(i)],
                            replacement.getBytes(StandardCharsets.US_ASCII));
                }
            }
        } finally {
            if (s.chars.length > KEEP_CHARS) {
                s.chars = new char[4096];
            }
            s.text.set(s.chars, 0);
        }
        if (edits == null) {
            result.body = body;
            result.length = length;
        } else {
            edits.apply(body, length, result);
        }
        return result;
    }

    /** Replacements in ascending, non-overlapping raw ranges. */
    private static final class Edits {
        private int[] from = new int[8];
        private int[] to = new int[8];
        private byte[][] bytes = new byte[8][];
        private int size;

        void add(int f, int t, byte[] b) {
            if (size > 0 && f < to[size - 1]) {
                throw new IllegalStateException("overlapping PII edits");
            }
            if (size == from.length) {
                from = Arrays.copyOf(from, size * 2);
                to = Arrays.copyOf(to, size * 2);
                bytes = Arrays.copyOf(bytes, size * 2);
            }
            from[size] = f;
            to[size] = t;
            bytes[size] = b;
            size++;
        }

        void apply(byte[] body, int length, Result result) {
            long total = length;
            for (int i = 0; i < size; i++) {
                total += bytes[i].length - (to[i] - from[i]);
            }
            byte[] out = new byte[Math.toIntExact(total)];
            int src = 0;
            int dst = 0;
            for (int i = 0; i < size; i++) {
                int keep = from[i] - src;
                System.arraycopy(body, src, out, dst, keep);
                dst += keep;
                System.arraycopy(bytes[i], 0, out, dst, bytes[i].length);
                dst += bytes[i].length;
                src = to[i];
            }
            System.arraycopy(body, src, out, dst, length - src);
            result.body = out;
            result.length = out.length;
            result.changed = true;
        }
    }
}
