package io.claudemirror.pii;

/**
 * Unified social credit codes of organisations (GB 32100): 18 characters from the 31-symbol alphabet (digits
 * and capitals without I, O, S, V, Z): a registration authority, an organisation type, a six-digit region code
 * with a real province (or 10 for national-level registrations), a nine-character organisation code and a
 * MOD 31 check character.
 */
final class CreditCodeDetector extends BuiltinDetector {
    private static final String ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY";
    private static final int[] WEIGHTS = {1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28};
    /** Value of each ASCII char in the alphabet, or -1. */
    private static final int[] VALUE = new int[128];

    static {
        java.util.Arrays.fill(VALUE, -1);
        for (int k = 0; k < ALPHABET.length(); k++) {
            VALUE[ALPHABET.charAt(k)] = k;
        }
    }

    CreditCodeDetector() {
        super("cn_uscc", "CN_USCC");
    }

    /** True if the word {@code t[s, e)} is a valid code. */
    static boolean match(char[] t, int s, int e, int n) {
        return e - s == 18 && !gluedBefore(t, s) && !gluedAfter(t, e, n) && valid(t, s);
    }

    static boolean valid(char[] t, int s) {
        char authority = t[s];
        if (!((authority >= '1' && authority <= '9') || authority == 'A' || authority == 'G' || authority == 'N'
                || authority == 'Y')) {
            return false;
        }
        if (t[s + 1] < '1' || t[s + 1] > '9') {
            return false;
        }
        for (int k = 2; k < 8; k++) {
            if (!digit(t[s + k])) {
                return false;
            }
        }
        int region = (t[s + 2] - '0') * 10 + (t[s + 3] - '0');
        if (region != 10 && !province(region)) { // 10xxxx: registered at national level
            return false;
        }
        int sum = 0;
        for (int k = 0; k < 17; k++) {
            char c = t[s + k];
            int v = c < 128 ? VALUE[c] : -1;
            if (v < 0) {
                return false;
            }
            sum += v * WEIGHTS[k];
        }
        int check = 31 - sum % 31;
        if (check == 31) {
            check = 0;
        }
        return t[s + 17] == ALPHABET.charAt(check);
    }
}
