package io.claudemirror.pii;

/**
 * Runs the shipped detectors in one pass over the text instead of one pass each: the scan runs on every request,
 * so each character should be looked at about once. The pass skips non-ASCII characters at once (Chinese text
 * costs one compare per character) and most ASCII as fast: it stops only where a match can begin. A run of digits
 * goes to the number detectors (and the credit-code check); a word starting with {@code s}, {@code g},
 * {@code A}, {@code G}, {@code N} or {@code Y} to the secret and credit-code checks; the other stops are '@'
 * (e-mail), ':' (IPv6) and "--" (key blocks). A digit run glued to a word is still offered to the detectors,
 * which reject it by their boundary rules. The detectors' own classes hold the validation; a detector used
 * alone runs this same pass with only itself enabled, so alone and together they find the same things.
 */
final class BuiltinScan {
    /** Marks a detector run alone: report under whatever detector the matches are collecting for. */
    private static final int ALONE = -2;
    private static final int OFF = -1;

    private static final byte OTHER = 0;
    private static final byte DIGIT = 1;
    private static final byte LETTER = 2;
    private static final byte AT = 3;
    private static final byte COLON = 4;
    private static final byte DASH = 5;
    private static final byte[] KIND = new byte[128];
    private static final boolean[] WORD = new boolean[128];

    static {
        for (char c = '0'; c <= '9'; c++) {
            KIND[c] = DIGIT;
        }
        // Only words starting with these letters can begin a match (sk-…, gh…/github_pat_…, AKIA…/ASIA…, and
        // credit codes whose first character is a letter); every other letter is skipped like punctuation.
        for (char c : "sgAGNY".toCharArray()) {
            KIND[c] = LETTER;
        }
        for (char c = 0; c < 128; c++) {
            WORD[c] = BuiltinDetector.word(c);
        }
        KIND['@'] = AT;
        KIND[':'] = COLON;
        KIND['-'] = DASH;
    }

    private int secret = OFF;
    private int residentId = OFF;
    private int creditCode = OFF;
    private int bankCard = OFF;
    private int email = OFF;
    private int mobile = OFF;
    private int ip = OFF;
    private boolean any;

    private BuiltinScan() {
    }

    /** The pass for the shipped detectors among {@code detectors}, reporting under their indexes. */
    static BuiltinScan of(PiiDetector[] detectors) {
        BuiltinScan s = new BuiltinScan();
        for (int i = 0; i < detectors.length; i++) {
            s.enable(detectors[i], i);
        }
        return s;
    }

    /** The pass for one shipped detector alone. */
    static BuiltinScan alone(BuiltinDetector detector) {
        BuiltinScan s = new BuiltinScan();
        s.enable(detector, ALONE);
        return s;
    }

    private void enable(PiiDetector d, int index) {
        if (d instanceof SecretDetector) {
            secret = index;
        } else if (d instanceof ResidentIdDetector) {
            residentId = index;
        } else if (d instanceof CreditCodeDetector) {
            creditCode = index;
        } else if (d instanceof BankCardDetector) {
            bankCard = index;
        } else if (d instanceof EmailDetector) {
            email = index;
        } else if (d instanceof MobileNumberDetector) {
            mobile = index;
        } else if (d instanceof IpAddressDetector) {
            ip = index;
        } else {
            return;
        }
        any = true;
    }

    /** True if {@code d} is run by this pass (so the scanner must not run it again). */
    boolean covers(PiiDetector d) {
        return d instanceof BuiltinDetector;
    }

    boolean any() {
        return any;
    }

    void run(char[] t, int n, PiiMatches m) {
        int i = 0;
        int ipv6Until = 0;
        while (i < n) {
            char c = t[i];
            byte kind;
            // Most characters are neither ASCII word starts nor triggers: Chinese text, spaces, punctuation.
            if (c >= 128 || (kind = KIND[c]) == OTHER) {
                i++;
                continue;
            }
            if (kind == DIGIT) {
                i = digitWord(t, i, n, m);
            } else if (kind == LETTER) {
                i = i > 0 && t[i - 1] < 128 && WORD[t[i - 1]] ? i + 1 : letterWord(t, i, n, m);
            } else if (kind == AT) {
                if (email != OFF) {
                    report(m, email, EmailDetector.match(t, i, n));
                }
                i++;
            } else if (kind == COLON) {
                // One address has several colons: check it once.
                if (ip != OFF && i >= ipv6Until) {
                    long r = IpAddressDetector.ipv6At(t, i, n);
                    if (r >= 0) {
                        report(m, ip, r);
                        ipv6Until = (int) r;
                    }
                }
                i++;
            } else {
                i = dash(t, i, n, m);
            }
        }
    }

    /** A '-' at {@code i}: maybe the start of a private key block. */
    private int dash(char[] t, int i, int n, PiiMatches m) {
        if (secret != OFF && i + 1 < n && t[i + 1] == '-') {
            long r = SecretDetector.privateKey(t, i, n);
            if (r >= 0) {
                report(m, secret, r);
                return (int) r; // nothing inside a key block can win against it
            }
        }
        return i + 1;
    }

    /** A run of digits starting at {@code s} (maybe glued to a word before it); returns the index after its word. */
    private int digitWord(char[] t, int s, int n, PiiMatches m) {
        int digits = BuiltinDetector.digitsEnd(t, s, n);
        int w = wordEnd(t, digits, n);
        if (residentId != OFF) {
            report(m, residentId, s, ResidentIdDetector.match(t, s, digits, n));
        }
        if (bankCard != OFF) {
            report(m, bankCard, s, BankCardDetector.match(t, s, digits, n));
        }
        if (mobile != OFF) {
            report(m, mobile, MobileNumberDetector.match(t, s, n));
        }
        if (ip != OFF) {
            report(m, ip, s, IpAddressDetector.ipv4At(t, s, digits, n));
        }
        if (creditCode != OFF && w - s == 18 && CreditCodeDetector.match(t, s, w, n)) {
            report(m, creditCode, s, w);
        }
        return w;
    }

    /** A word starting at {@code s} with one of the trigger letters; returns where to go on. */
    private int letterWord(char[] t, int s, int n, PiiMatches m) {
        int w = wordEnd(t, s + 1, n);
        int len = w - s;
        if (creditCode != OFF && len == 18 && CreditCodeDetector.match(t, s, w, n)) {
            report(m, creditCode, s, w);
        }
        if (secret != OFF) {
            long r = -1;
            char c = t[s];
            if (c == 's' && len == 2 && t[s + 1] == 'k' && w < n && t[w] == '-') {
                r = SecretDetector.dashKey(t, w, n);
            } else if (c == 'g' && len > 4 && (t[s + 1] == 'h' || t[s + 1] == 'i')) {
                r = SecretDetector.github(t, t[s + 1] == 'h' ? s + 3 : s + 6, n); // ghp_… or github_pat_…
            } else if (c == 'A' && len == 20) {
                r = SecretDetector.aws(t, s, n);
            }
            if (r >= 0) {
                report(m, secret, r);
                return Math.max(w, (int) r);
            }
        }
        return w;
    }

    private static int wordEnd(char[] t, int i, int n) {
        while (i < n) {
            char c = t[i];
            if (c >= 128 || !WORD[c]) {
                break;
            }
            i++;
        }
        return i;
    }

    private static void report(PiiMatches m, int detector, int start, int end) {
        if (end > start) {
            if (detector != ALONE) {
                m.runningDetector(detector);
            }
            m.add(start, end);
        }
    }

    /** Reports a packed (start high, end low) match; -1 means none. */
    private static void report(PiiMatches m, int detector, long packed) {
        if (packed >= 0) {
            report(m, detector, (int) (packed >>> 32), (int) packed);
        }
    }
}
