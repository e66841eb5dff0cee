package io.claudemirror.pii;

import java.util.Arrays;

/**
 * Collects the matches detectors report for one piece of text. The scanner reuses one instance per thread, so
 * reporting allocates nothing once the arrays have grown; a detector only ever calls {@link #add}.
 */
public final class PiiMatches {
    private int[] starts = new int[8];
    private int[] ends = new int[8];
    private int[] detectors = new int[8];
    private int size;
    private int textLength;
    private int detector;

    PiiMatches() {
    }

    /** Reports the match {@code text[start, end)} for the detector being run. */
    public void add(int start, int end) {
        if (start < 0 || end > textLength || start >= end) {
            // A broken plug-in detector must not make the scrubber edit the wrong bytes: fail the scan instead.
            throw new IllegalArgumentException("match [" + start + ", " + end + ") is outside the text (length "
                    + textLength + ")");
        }
        if (size == starts.length) {
            int cap = size * 2;
            starts = Arrays.copyOf(starts, cap);
            ends = Arrays.copyOf(ends, cap);
            detectors = Arrays.copyOf(detectors, cap);
        }
        starts[size] = start;
        ends[size] = end;
        detectors[size] = detector;
        size++;
    }

    void reset(int length) {
        size = 0;
        textLength = length;
        detector = 0;
    }

    void runningDetector(int index) {
        detector = index;
    }

    int size() {
        return size;
    }

    int start(int i) {
        return starts[i];
    }

    int end(int i) {
        return ends[i];
    }

    int detector(int i) {
        return detectors[i];
    }

    /**
     * Orders the matches by start and drops every match that overlaps an earlier kept one. At equal starts the
     * longer match wins (an e-mail over the phone number that is its local part), then the earlier detector.
     * Spans are widened so they never split a surrogate pair.
     */
    void resolve(char[] text) {
        // Insertion sort: each detector reports in text order, so the input is a few sorted runs and this costs
        // little; n is tiny in practice.
        for (int i = 1; i < size; i++) {
            int s = starts[i];
            int e = ends[i];
            int d = detectors[i];
            int j = i - 1;
            while (j >= 0 && before(s, e, d, j)) {
                starts[j + 1] = starts[j];
                ends[j + 1] = ends[j];
                detectors[j + 1] = detectors[j];
                j--;
            }
            starts[j + 1] = s;
            ends[j + 1] = e;
            detectors[j + 1] = d;
        }
        int kept = 0;
        int lastEnd = -1;
        for (int i = 0; i < size; i++) {
            int s = starts[i];
            int e = ends[i];
            if (s > 0 && Character.isLowSurrogate(text[s]) && Character.isHighSurrogate(text[s - 1])) {
                s--;
            }
            if (e < textLength && Character.isLowSurrogate(text[e]) && Character.isHighSurrogate(text[e - 1])) {
                e++;
            }
            if (s < lastEnd) {
                continue;
            }
            starts[kept] = s;
            ends[kept] = e;
            detectors[kept] = detectors[i];
            kept++;
            lastEnd = e;
        }
        size = kept;
    }

    private boolean before(int s, int e, int d, int j) {
        if (s != starts[j]) {
            return s < starts[j];
        }
        if (e != ends[j]) {
            return e > ends[j];
        }
        return d < detectors[j];
    }
}
