package io.claudemirror.pii;

/**
 * Mainland mobile numbers: 11 digits starting with an allocated {@code 1[3-9]x} prefix, optionally grouped
 * 3-4-4 with spaces or hyphens, optionally preceded by {@code +86}, {@code (+86)}, {@code 0086} or
 * {@code 86-}. Unlike IDs and cards they carry no checksum, so the prefix table and the token boundaries are
 * what keeps order numbers and timestamps out (a 13-digit millisecond timestamp is never an 11-digit token).
 */
final class MobileNumberDetector extends BuiltinDetector {
    /** Allocated three-digit prefixes 130–199 (data-only and IoT ranges excluded). */
    private static final boolean[] PREFIX = new boolean[100];

    static {
        for (String p : ("30 31 32 33 34 35 36 37 38 39 45 46 47 48 49 50 51 52 53 55 56 57 58 59 62 65 66 67 "
                + "70 71 72 73 75 76 77 78 80 81 82 83 84 85 86 87 88 89 90 91 92 93 95 96 97 98 99").split(" ")) {
            PREFIX[Integer.parseInt(p)] = true;
        }
    }

    MobileNumberDetector() {
        super("cn_mobile", "PHONE");
    }

    /** The number whose digits start at {@code s}: start (with any prefix) in the high half, end low; or -1. */
    static long match(char[] t, int s, int n) {
        int body = s;
        int from = s;
        if (startsWith(t, s, n, "0086")) {
            body = s + 4;
        } else if (startsWith(t, s, n, "86") && s > 0 && t[s - 1] == '+') {
            from = s - 1;
            body = s + 2;
            if (s > 1 && t[s - 2] == '(' && s + 2 < n && t[s + 2] == ')') {
                from = s - 2;
                body = s + 3;
            }
        } else if (startsWith(t, s, n, "86-")) {
            body = s + 3;
        } else if (s > 0 && t[s - 1] == '+') {
            return -1; // another country's code
        }
        if (from == s && gluedBefore(t, s)) {
            return -1;
        }
        if (from < s && from > 0 && word(t[from - 1])) {
            return -1;
        }
        if (body != s && body < n && (t[body] == ' ' || t[body] == '-') && t[body - 1] != '-') {
            body++;
        }
        int end = number(t, body, n);
        if (end < 0) {
            return -1;
        }
        return ((long) from << 32) | end;
    }

    /** End of a valid 3-4-4 mobile number at {@code b}, or -1. */
    private static int number(char[] t, int b, int n) {
        if (b + 11 > n || t[b] != '1' || !digit(t[b + 1]) || !digit(t[b + 2])
                || !PREFIX[(t[b + 1] - '0') * 10 + (t[b + 2] - '0')]) {
            return -1;
        }
        int p = b + 3;
        char sep = 0;
        if (t[p] == ' ' || t[p] == '-') {
            sep = t[p++];
        }
        if (!digits(t, p, 4, n)) {
            return -1;
        }
        p += 4;
        if (sep != 0) {
            if (p >= n || t[p] != sep) {
                return -1;
            }
            p++;
        }
        if (!digits(t, p, 4, n)) {
            return -1;
        }
        p += 4;
        if (gluedAfter(t, p, n)) {
            return -1;
        }
        // "138 1234 5678 9012": a longer grouped number, not a phone.
        if (sep != 0 && p + 1 < n && t[p] == sep && digit(t[p + 1])) {
            return -1;
        }
        return p;
    }

    private static boolean digits(char[] t, int p, int count, int n) {
        if (p + count > n) {
            return false;
        }
        for (int k = 0; k < count; k++) {
            if (!digit(t[p + k])) {
                return false;
            }
        }
        return true;
    }
}
