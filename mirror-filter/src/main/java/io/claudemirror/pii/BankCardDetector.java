package io.claudemirror.pii;

/**
 * Payment card numbers: 15–19 digits, contiguous or grouped in fours (the last group shorter; American Express
 * 4-6-5) with spaces or hyphens, an issuer prefix of a real scheme (UnionPay 62 with 16–19 digits; with 16
 * digits Visa 4, Mastercard 51–55 and 2221–2720, JCB 35, Discover 60/64/65; American Express 34/37 with 15)
 * and a valid Luhn check digit. The prefix rule
 * drops microsecond and nanosecond timestamps (they start with 1) that Luhn alone would pass one time in ten.
 */
final class BankCardDetector extends BuiltinDetector {
    BankCardDetector() {
        super("bank_card", "BANK_CARD");
    }

    /** End of a card number whose first digit run is {@code t[s, runEnd)}, or -1. */
    static int match(char[] t, int s, int runEnd, int n) {
        if (gluedBefore(t, s)) {
            return -1;
        }
        int len = runEnd - s;
        if (len >= 15 && len <= 19) {
            return !gluedAfter(t, runEnd, n) && valid(t, s, runEnd, len) ? runEnd : -1;
        }
        if (len != 4 || runEnd + 1 >= n || (t[runEnd] != ' ' && t[runEnd] != '-') || !digit(t[runEnd + 1])) {
            return -1;
        }
        char sep = t[runEnd];
        int total = 4;
        int groups = 1;
        int last = 4;
        int second = 0;
        int p = runEnd;
        boolean fours = true;
        while (p + 1 < n && t[p] == sep && digit(t[p + 1])) {
            int g = digitsEnd(t, p + 1, n) - (p + 1);
            if (last != 4) {
                fours = false; // only the last group may be short
            }
            groups++;
            if (groups == 2) {
                second = g;
            }
            total += g;
            last = g;
            p += 1 + g;
            if (total > 19) {
                return -1;
            }
        }
        boolean amex = groups == 3 && second == 6 && last == 5;
        boolean grouped = fours && groups >= 4 && last >= 1 && last <= 4;
        if (!(amex || grouped) || total < 15 || gluedAfter(t, p, n)) {
            return -1;
        }
        return valid(t, s, p, total) ? p : -1;
    }

    /** Issuer prefix and Luhn over the digits in {@code t[s, e)}, skipping separators. */
    private static boolean valid(char[] t, int s, int e, int digits) {
        int d0 = t[s] - '0';
        int d1 = t[s + 1] - '0';
        // Both accepted forms start with at least four contiguous digits.
        int first4 = d0 * 1000 + d1 * 100 + (t[s + 2] - '0') * 10 + (t[s + 3] - '0');
        boolean scheme;
        if (digits == 15) {
            scheme = d0 == 3 && (d1 == 4 || d1 == 7);
        } else {
            switch (d0) {
                // Only UnionPay issues 17–19 digit numbers in practice; elsewhere 16 is the rule, and longer
                // digit runs starting with 4 or 5 are far more often reference numbers than cards.
                case 4: scheme = digits == 16; break;
                case 5: scheme = digits == 16 && d1 >= 1 && d1 <= 5; break;
                case 2: scheme = digits == 16 && first4 >= 2221 && first4 <= 2720; break;
                case 3: scheme = digits == 16 && d1 == 5; break;
                case 6: scheme = d1 == 2 || (digits == 16 && (d1 == 0 || d1 == 4 || d1 == 5)); break;
                default: scheme = false;
            }
        }
        if (!scheme) {
            return false;
        }
        int sum = 0;
        boolean dbl = false;
        for (int k = e - 1; k >= s; k--) {
            char c = t[k];
            if (!digit(c)) {
                continue;
            }
            int v = c - '0';
            if (dbl) {
                v *= 2;
                if (v > 9) {
                    v -= 9;
                }
            }
            sum += v;
            dbl = !dbl;
        }
        return sum % 10 == 0;
    }
}
