package io.claudemirror.pii;

/**
 * Base of the shipped detectors: they look for ASCII patterns in the decoded chars, triggered by the one-pass
 * {@link BuiltinScan}; the subclasses hold the validation (checksums, ranges, boundaries). The character tests
 * here define what counts as a token boundary: a match must not be glued to letters, digits or underscores,
 * which keeps digit runs inside identifiers, hashes and longer numbers from matching.
 */
abstract class BuiltinDetector implements PiiDetector {
    private final String type;
    private final String label;
    private BuiltinScan alone;

    BuiltinDetector(String type, String label) {
        this.type = type;
        this.label = label;
    }

    @Override
    public final String type() {
        return type;
    }

    @Override
    public final String label() {
        return label;
    }

    /** Used alone (not through a {@link PiiScanner}): the shared one-pass scan with only this detector. */
    @Override
    public final void find(CharSequence text, PiiMatches matches) {
        BuiltinScan s = alone;
        if (s == null) {
            s = BuiltinScan.alone(this);
            alone = s;
        }
        s.run(ScanText.charsOf(text), text.length(), matches);
    }

    static boolean digit(char c) {
        return c >= '0' && c <= '9';
    }

    static boolean upper(char c) {
        return c >= 'A' && c <= 'Z';
    }

    static boolean letter(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    }

    static boolean alnum(char c) {
        return digit(c) || letter(c);
    }

    /** A character that continues a word: a match next to one is part of something longer. */
    static boolean word(char c) {
        return alnum(c) || c == '_';
    }

    /** True if the match starting at {@code i} is glued to a word character or continues a decimal number. */
    static boolean gluedBefore(char[] t, int i) {
        if (i == 0) {
            return false;
        }
        char p = t[i - 1];
        return word(p) || (p == '.' && i >= 2 && digit(t[i - 2]));
    }

    /** True if the match ending before {@code i} is followed by a word character or a decimal fraction. */
    static boolean gluedAfter(char[] t, int i, int n) {
        if (i >= n) {
            return false;
        }
        char c = t[i];
        return word(c) || (c == '.' && i + 1 < n && digit(t[i + 1]));
    }

    /** End of the run of ASCII digits starting at {@code i}. */
    static int digitsEnd(char[] t, int i, int n) {
        while (i < n && digit(t[i])) {
            i++;
        }
        return i;
    }

    static boolean startsWith(char[] t, int i, int n, String s) {
        if (i < 0 || i + s.length() > n) {
            return false;
        }
        for (int k = 0; k < s.length(); k++) {
            if (t[i + k] != s.charAt(k)) {
                return false;
            }
        }
        return true;
    }

    /** Province-level division codes (first two digits of resident IDs and of credit codes' region part). */
    static boolean province(int code) {
        switch (code) {
            case 11: case 12: case 13: case 14: case 15:
            case 21: case 22: case 23:
            case 31: case 32: case 33: case 34: case 35: case 36: case 37:
            case 41: case 42: case 43: case 44: case 45: case 46:
            case 50: case 51: case 52: case 53: case 54:
            case 61: case 62: case 63: case 64: case 65:
            case 71: case 81: case 82: case 83:
                return true;
            default:
                return false;
        }
    }

    @Override
    public String toString() {
        return type;
    }
}
