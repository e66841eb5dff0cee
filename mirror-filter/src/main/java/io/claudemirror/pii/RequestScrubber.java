package io.claudemirror.pii;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Scans the user-content strings of one request body and, in {@code mask} or {@code redact} mode, replaces each
 * finding's bytes in place. Only the raw bytes of a finding change: the rest of the string, its escapes and the
 * whole document around it reach the upstream byte for byte. A body with no finding is returned as is, without
 * a copy.
 *
 * <p>Each candidate string is scanned in Jackson's decoded buffer while the body is parsed (one pass over its
 * bytes); its findings count only if its block turns out to carry user content. Scratch state comes from a small
 * pool owned by the scanner (not a ThreadLocal: container threads outlive a redeployed application), so a clean
 * request copies no text and creates no String.
 */
final class RequestScrubber {
    /** Scratch buffers larger than this are not kept between requests. */
    private static final int KEEP_CHARS = 1 << 18;

    /** How findings are replaced. */
    enum Edit { NONE, MASK, REDACT }

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

    /** Per-thread buffers, and the findings of the body being scanned (by candidate id, in document order). */
    static final class Scratch implements ContentStrings.Visitor {
        char[] chars = new char[1024];
        final ScanText text = new ScanText(chars, 0);
        final PiiMatches matches = new PiiMatches();
        PiiScanner scanner;
        boolean keepValues;
        int[] ids = new int[16];
        int[] starts = new int[16];
        int[] ends = new int[16];
        int[] detectors = new int[16];
        int[] lengths = new int[16];
        String[] values = new String[16];
        int size;

        @Override
        public void visit(int id, char[] buf, int offset, int length) {
            char[] c = buf;
            if (offset != 0) {
                if (chars.length < length) {
                    chars = new char[Math.max(length, chars.length * 2)];
                }
                System.arraycopy(buf, offset, chars, 0, length);
                c = chars;
            }
            text.set(c, length);
            PiiMatches m = matches;
            scanner.scan(text, m);
            for (int i = 0; i < m.size(); i++) {
                record(id, m.start(i), m.end(i), m.detector(i), length,
                        keepValues ? new String(c, m.start(i), m.end(i) - m.start(i)) : null);
            }
        }

        private void record(int id, int start, int end, int detector, int length, String value) {
            if (size == ids.length) {
                int cap = size * 2;
                ids = Arrays.copyOf(ids, cap);
                starts = Arrays.copyOf(starts, cap);
                ends = Arrays.copyOf(ends, cap);
                detectors = Arrays.copyOf(detectors, cap);
                lengths = Arrays.copyOf(lengths, cap);
                values = Arrays.copyOf(values, cap);
            }
            ids[size] = id;
            starts[size] = start;
            ends[size] = end;
            detectors[size] = detector;
            lengths[size] = length;
            values[size] = value;
            size++;
        }

        void reset() {
            Arrays.fill(values, 0, size, null); // values must not outlive their request
            size = 0;
            scanner = null;
            text.set(chars, 0);
            if (chars.length > KEEP_CHARS) {
                chars = new char[1024];
            }
        }
    }

    private RequestScrubber() {
    }

    /**
     * Scans {@code body[0, length)}. With {@link Edit#REDACT} the placeholders go into {@code vault}.
     * Throws IOException when the body is not well-formed JSON; a detector's exception propagates.
     */
    static Result scrub(PiiScanner scanner, byte[] body, int length, Edit edit, PlaceholderVault vault)
            throws IOException {
        return scrub(scanner, body, length, edit, vault, Shape.MESSAGES);
    }

    /** Which strings of a body are scanned. */
    enum Shape {
        /** A Messages request (messages, count_tokens): its user content. */
        MESSAGES,
        /** A message batch creation body: the user content of every {@code requests[i].params}. */
        BATCH,
        /** A JSON body of an endpoint the mirror does not know: every string value. */
        ANY
    }

    static Result scrub(PiiScanner scanner, byte[] body, int length, Edit edit, PlaceholderVault vault,
                        boolean batch) throws IOException {
        return scrub(scanner, body, length, edit, vault, batch ? Shape.BATCH : Shape.MESSAGES);
    }

    /**
     * As {@link #scrub(PiiScanner, byte[], int, Edit, PlaceholderVault)} for a body of {@code shape}. For a batch
     * or a body of unknown shape, {@link Edit#REDACT} masks (the vault is left untouched): the answer does not
     * come back in this request's response, so placeholders could never be restored.
     */
    static Result scrub(PiiScanner scanner, byte[] body, int length, Edit edit, PlaceholderVault vault,
                        Shape shape) throws IOException {
        if (shape != Shape.MESSAGES && edit == Edit.REDACT) {
            edit = Edit.MASK; // a batch's results are fetched by other requests: placeholders could not be restored
        }
        Scratch s = scanner.acquireScratch();
        s.scanner = scanner;
        s.keepValues = edit == Edit.REDACT;
        try {
            ContentStrings strings = shape == Shape.BATCH ? ContentStrings.ofBatch(body, length, s)
                    : shape == Shape.ANY ? ContentStrings.ofAnyJson(body, length, s)
                    : ContentStrings.ofRequest(body, length, s);
            return edits(scanner, body, length, edit, vault, strings, s);
        } finally {
            s.reset();
            scanner.releaseScratch(s);
        }
    }

    /** Counts the findings of kept strings and, if asked, builds the edited body. */
    private static Result edits(PiiScanner scanner, byte[] body, int length, Edit edit, PlaceholderVault vault,
                                ContentStrings strings, Scratch s) {
        Result result = new Result(scanner.detectorCount());
        Edits edits = null;
        int f = 0;
        // Kept ids and finding ids both ascend in document order: walk them together.
        for (int r = 0; r < strings.size() && f < s.size; r++) {
            int id = strings.id(r);
            while (f < s.size && s.ids[f] < id) {
                f++; // findings of a string whose block was dropped
            }
            int first = f;
            while (f < s.size && s.ids[f] == id) {
                result.counts[s.detectors[f]]++;
                f++;
            }
            if (edit == Edit.NONE || first == f) {
                continue;
            }
            int from = strings.start(r);
            int to = strings.end(r);
            int n = s.lengths[first];
            int[] rawStarts = new int[to - from + 1];
            if (JsonText.rawStarts(body, from, to, rawStarts) != n) {
                // Our decoding disagrees with Jackson's: the offsets would be wrong, so edit nothing.
                throw new IllegalStateException("PII scrubber cannot map a string back to its bytes");
            }
            if (edits == null) {
                edits = new Edits();
            }
            for (int k = first; k < f; k++) {
                int d = s.detectors[k];
                String replacement = edit == Edit.MASK ? scanner.mask(d)
                        : vault.placeholder(scanner.detector(d).type(), scanner.detector(d).label(), s.values[k]);
                byte[] bytes = replacement.getBytes(StandardCharsets.US_ASCII);
                edits.add(rawStarts[s.starts[k]], rawStarts[s.ends[k]], bytes);
            }
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
