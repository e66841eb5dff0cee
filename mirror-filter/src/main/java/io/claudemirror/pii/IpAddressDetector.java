package io.claudemirror.pii;

/**
 * IPv4 and IPv6 addresses. IPv4: four dotted octets 0–255 without leading zeros, not part of a longer dotted
 * run; loopback, {@code 255.255.255.255} and addresses whose octets are all single digits (section numbers such
 * as {@code 1.2.3.4}, well-known resolvers like {@code 8.8.8.8}) are not reported. IPv6: hex groups with at most
 * one {@code ::}, eight groups without it, optionally an IPv4 tail; in one letter case; a compressed form needs
 * two explicit groups and one group of three or more digits, which keeps {@code ::1}, {@code a::b} and
 * {@code Foo::Bar} out, while times ({@code 12:30:45}) and MAC addresses have the wrong number of groups.
 */
final class IpAddressDetector extends BuiltinDetector {
    IpAddressDetector() {
        super("ip", "IP");
    }

    /** End of the IPv4 address whose first octet is the digit run {@code t[s, runEnd)}, or -1. */
    static int ipv4At(char[] t, int s, int runEnd, int n) {
        if (runEnd >= n || t[runEnd] != '.' || gluedBefore(t, s) || (s > 0 && t[s - 1] == '.')) {
            return -1;
        }
        return ipv4(t, s, n);
    }

    /** End of a reportable IPv4 address at {@code s}, or -1. */
    static int ipv4(char[] t, int s, int n) {
        int p = s;
        boolean small = true;
        int first = -1;
        int all255 = 0;
        for (int k = 0; k < 4; k++) {
            int e = digitsEnd(t, p, n);
            int len = e - p;
            if (len == 0 || len > 3 || (len > 1 && t[p] == '0')) {
                return -1;
            }
            int v = 0;
            for (int j = p; j < e; j++) {
                v = v * 10 + (t[j] - '0');
            }
            if (v > 255) {
                return -1;
            }
            if (k == 0) {
                first = v;
            }
            small &= len == 1;
            all255 += v == 255 ? 1 : 0;
            p = e;
            if (k < 3) {
                if (p >= n || t[p] != '.') {
                    return -1;
                }
                p++;
            }
        }
        if (gluedAfter(t, p, n) || (p < n && t[p] == '.' && p + 1 < n && digit(t[p + 1]))) {
            return -1;
        }
        if (small || first == 127 || all255 == 4) {
            return -1;
        }
        return p;
    }

    /** The IPv6 address in the hex/colon/dot run around the ':' at {@code c}: start high, end low; or -1. */
    static long ipv6At(char[] t, int c, int n) {
        int s = c;
        while (s > 0 && v6char(t[s - 1])) {
            s--;
        }
        int e = c;
        while (e < n && v6char(t[e])) {
            e++;
        }
        // Sentence punctuation after an address: "fe80::1." or "at 2001:db8::1:".
        while (e > c && t[e - 1] == '.') {
            e--;
        }
        if (e - s >= 2 && t[e - 1] == ':' && t[e - 2] != ':') {
            e--;
        }
        if ((s > 0 && word(t[s - 1])) || (e < n && word(t[e])) || e <= s || !valid(t, s, e)) {
            return -1;
        }
        return ((long) s << 32) | e;
    }

    private static boolean v6char(char c) {
        return digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':' || c == '.';
    }

    static boolean valid(char[] t, int s, int e) {
        boolean lower = false;
        boolean upper = false;
        int groups = 0;
        boolean compressed = false;
        boolean longGroup = false;
        int p = s;
        if (e - s >= 2 && t[s] == ':' && t[s + 1] == ':') {
            compressed = true;
            p = s + 2;
        } else if (t[s] == ':') {
            return false;
        }
        while (p < e) {
            int g = p;
            while (p < e && t[p] != ':' && t[p] != '.') {
                char ch = t[p];
                lower |= ch >= 'a' && ch <= 'f';
                upper |= ch >= 'A' && ch <= 'F';
                p++;
            }
            if (p < e && t[p] == '.') {
                // An IPv4 tail ends the address and stands for two groups.
                if (ipv4(t, g, e) != e) {
                    return false;
                }
                groups += 2;
                longGroup = true;
                p = e;
                break;
            }
            int len = p - g;
            if (len == 0 || len > 4) {
                return false;
            }
            groups++;
            longGroup |= len >= 3;
            if (p == e) {
                break;
            }
            p++; // the ':'
            if (p < e && t[p] == ':') {
                if (compressed) {
                    return false;
                }
                compressed = true;
                p++;
            } else if (p == e) {
                return false;
            }
        }
        if (lower && upper) {
            return false;
        }
        if (!compressed) {
            return groups == 8;
        }
        return groups <= 7 && groups >= 2 && longGroup;
    }
}
