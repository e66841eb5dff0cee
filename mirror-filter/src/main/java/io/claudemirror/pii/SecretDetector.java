package io.claudemirror.pii;

/**
 * Credentials: Anthropic and OpenAI style keys ({@code sk-ant-…}, {@code sk-proj-…}, {@code sk-…}), GitHub
 * tokens ({@code ghp_…}, {@code github_pat_…}), AWS access key ids ({@code AKIA…}, {@code ASIA…}) and PEM/PGP
 * private key blocks. A {@code sk-} key needs a random-looking segment (16+ characters mixing letters and
 * digits), so words like {@code sk-learn} or {@code sk-learn-compatible-regression} do not match. A private key
 * block is matched from its BEGIN line through its END line; a block cut off before its END line is matched
 * through the end of its base64 body.
 */
final class SecretDetector extends BuiltinDetector {
    SecretDetector() {
        super("secret", "SECRET");
    }

    /** {@code sk-…} with the '-' at {@code i}. */
    static long dashKey(char[] t, int i, int n) {
        int s = i - 2;
        if (s < 0 || t[s] != 's' || t[s + 1] != 'k' || (s > 0 && word(t[s - 1]))) {
            return -1;
        }
        int e = i + 1;
        boolean strong = false;
        int segStart = e;
        boolean segDigit = false;
        boolean segLetter = false;
        while (e < n && (alnum(t[e]) || t[e] == '-' || t[e] == '_')) {
            char c = t[e];
            if (c == '-' || c == '_') {
                strong |= e - segStart >= 16 && segDigit && segLetter;
                segStart = e + 1;
                segDigit = false;
                segLetter = false;
            } else {
                segDigit |= digit(c);
                segLetter |= letter(c);
            }
            e++;
        }
        strong |= e - segStart >= 16 && segDigit && segLetter;
        return strong && e - (i + 1) >= 20 ? pack(s, e) : -1;
    }

    /** {@code ghp_…}/{@code gho_}/{@code ghu_}/{@code ghs_}/{@code ghr_} and {@code github_pat_…}, '_' at {@code i}. */
    static long github(char[] t, int i, int n) {
        int s;
        int minBody;
        if (i >= 3 && t[i - 3] == 'g' && t[i - 2] == 'h' && "pousr".indexOf(t[i - 1]) >= 0) {
            s = i - 3;
            minBody = 30;
        } else if (i >= 6 && startsWith(t, i - 6, n, "github_pat_")) {
            s = i - 6;
            i += 4;
            minBody = 40;
        } else {
            return -1;
        }
        if (s > 0 && word(t[s - 1])) {
            return -1;
        }
        int e = i + 1;
        while (e < n && (alnum(t[e]) || t[e] == '_')) {
            e++;
        }
        return e - (i + 1) >= minBody ? pack(s, e) : -1;
    }

    /** {@code AKIA} or {@code ASIA} and 16 capitals or digits, at {@code i}. */
    static long aws(char[] t, int i, int n) {
        if (i + 20 > n || (i > 0 && word(t[i - 1])) || !(t[i + 1] == 'K' || t[i + 1] == 'S') || t[i + 2] != 'I'
                || t[i + 3] != 'A') {
            return -1;
        }
        for (int k = i + 4; k < i + 20; k++) {
            if (!digit(t[k]) && !upper(t[k])) {
                return -1;
            }
        }
        return gluedAfter(t, i + 20, n) ? -1 : pack(i, i + 20);
    }

    /** A {@code -----BEGIN … PRIVATE KEY-----} block at {@code i}. */
    static long privateKey(char[] t, int i, int n) {
        if (!startsWith(t, i, n, "-----BEGIN ")) {
            return -1;
        }
        int h = indexOf(t, "-----", i + 11, Math.min(n, i + 80));
        if (h < 0 || !(endsWith(t, h, "PRIVATE KEY") || endsWith(t, h, "PRIVATE KEY BLOCK"))) {
            return -1;
        }
        int end = indexOf(t, "-----END ", h + 5, n);
        if (end >= 0) {
            int close = indexOf(t, "-----", end + 9, Math.min(n, end + 80));
            if (close >= 0) {
                return pack(i, close + 5);
            }
        }
        int e = h + 5;
        while (e < n && (alnum(t[e]) || "+/=:,-. \r\n\t".indexOf(t[e]) >= 0)) {
            e++;
        }
        return pack(i, e);
    }

    private static boolean endsWith(char[] t, int end, String s) {
        return startsWith(t, end - s.length(), end, s);
    }

    private static int indexOf(char[] t, String s, int from, int to) {
        char first = s.charAt(0);
        for (int k = from; k + s.length() <= to; k++) {
            if (t[k] == first && startsWith(t, k, to, s)) {
                return k;
            }
        }
        return -1;
    }

    private static long pack(int start, int end) {
        return ((long) start << 32) | end;
    }
}
