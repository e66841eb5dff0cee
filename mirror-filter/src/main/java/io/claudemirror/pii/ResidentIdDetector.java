package io.claudemirror.pii;

import java.time.LocalDate;

/**
 * Mainland resident identity card numbers (GB 11643): 17 digits and a check character (digit or X), with a
 * province code, a real birth date between 1900 and today, and the ISO 7064 MOD 11-2 checksum. Only the
 * 18-character form is detected; the 15-digit form of cards issued before 1999 carries no checksum.
 */
final class ResidentIdDetector extends BuiltinDetector {
    private static final int[] WEIGHTS = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
    private static final char[] CHECK = "10X98765432".toCharArray();

    ResidentIdDetector() {
        super("cn_resident_id", "CN_ID");
    }

    /** End of the ID whose leading digit run is {@code t[s, runEnd)} (at a word start), or -1. */
    static int match(char[] t, int s, int runEnd, int n) {
        int e = runEnd;
        if (e - s == 17 && e < n && (t[e] == 'X' || t[e] == 'x')) {
            e++;
        }
        return e - s == 18 && !gluedBefore(t, s) && !gluedAfter(t, e, n) && valid(t, s) ? e : -1;
    }

    /** Validates the 18 characters at {@code s} (17 digits already checked, plus the check character). */
    static boolean valid(char[] t, int s) {
        if (!province((t[s] - '0') * 10 + (t[s + 1] - '0'))) {
            return false;
        }
        int year = num(t, s + 6, 4);
        int month = num(t, s + 10, 2);
        int day = num(t, s + 12, 2);
        if (year < 1900 || month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) {
            return false;
        }
        LocalDate today = LocalDate.now();
        if (year > today.getYear() || (year == today.getYear() && month * 100 + day > today.getMonthValue() * 100
                + today.getDayOfMonth())) {
            return false;
        }
        int sum = 0;
        for (int k = 0; k < 17; k++) {
            sum += (t[s + k] - '0') * WEIGHTS[k];
        }
        char check = t[s + 17] == 'x' ? 'X' : t[s + 17];
        return CHECK[sum % 11] == check;
    }

    private static int num(char[] t, int s, int len) {
        int v = 0;
        for (int k = 0; k < len; k++) {
            v = v * 10 + (t[s + k] - '0');
        }
        return v;
    }

    private static int daysIn(int year, int month) {
        switch (month) {
            case 2:
                return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28;
            case 4: case 6: case 9: case 11:
                return 30;
            default:
                return 31;
        }
    }
}
