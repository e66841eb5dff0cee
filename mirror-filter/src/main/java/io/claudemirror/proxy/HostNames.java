package io.claudemirror.proxy;

/** Syntax check of a host as a client named it (the {@code Host} header): a DNS name or an IP literal. */
final class HostNames {
    private HostNames() {
    }

    /**
     * True for a DNS name (labels of letters, digits and hyphens, not starting or ending with a hyphen, at most
     * 253 characters), an IPv4 address, or an IPv6 literal (with or without brackets).
     */
    static boolean valid(String host) {
        if (host == null || host.isEmpty() || host.length() > 253) {
            return false;
        }
        if (host.indexOf(':') >= 0) {
            String h = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
            for (int i = 0; i < h.length(); i++) {
                char c = h.charAt(i);
                if (!(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' || c == ':' || c == '.')) {
                    return false;
                }
            }
            return !h.isEmpty();
        }
        int labelStart = 0;
        for (int i = 0; i <= host.length(); i++) {
            char c = i < host.length() ? host.charAt(i) : '.';
            if (c == '.') {
                int len = i - labelStart;
                if (len == 0 && i == host.length() && i > 0) {
                    break; // a trailing dot (fully qualified) is fine
                }
                if (len == 0 || len > 63 || host.charAt(labelStart) == '-' || host.charAt(i - 1) == '-') {
                    return false;
                }
                labelStart = i + 1;
            } else if (!(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-')) {
                return false;
            }
        }
        return true;
    }
}
