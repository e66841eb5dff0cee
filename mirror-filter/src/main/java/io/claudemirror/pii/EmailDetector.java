package io.claudemirror.pii;

import java.util.Set;

/**
 * E-mail addresses: a local part of up to 64 characters, {@code @}, and a domain of at least two labels whose
 * last label (the TLD) is 2–24 letters. Look-alikes it leaves alone: {@code @decorators} and {@code @scope/pkg}
 * (no local part), {@code pkg@1.2.3} (numeric TLD), {@code icon@2x.png} (file extension as TLD), SSH remotes
 * such as {@code git@github.com:org/repo} and URL credentials {@code https://user@host}.
 */
final class EmailDetector extends BuiltinDetector {
    /** File extensions that follow '@' in asset names and package specs; none is a TLD people mail from. */
    private static final Set<String> NOT_TLD = Set.of("png", "jpg", "jpeg", "gif", "svg", "webp", "ico", "bmp",
            "js", "mjs", "cjs", "ts", "tsx", "jsx", "css", "scss", "less", "json", "yaml", "yml", "xml", "html",
            "htm", "md", "txt", "py", "java", "kt", "go", "rs", "rb", "php", "sh", "lock", "log", "zip", "gz",
            "tar", "mp3", "mp4", "wav", "pdf", "csv", "toml", "ini", "cfg", "conf", "vue", "swift", "dart", "lua");

    EmailDetector() {
        super("email", "EMAIL");
    }

    /** The address around the '@' at {@code at}: start in the high half, end low; or -1. */
    static long match(char[] t, int at, int n) {
        int s = at;
        while (s > 0 && local(t[s - 1])) {
            s--;
            if (at - s > 64) {
                return -1;
            }
        }
        while (s < at && t[s] == '.') {
            s++;
        }
        if (s == at || t[at - 1] == '.') {
            return -1;
        }
        if (s > 0) {
            char p = t[s - 1];
            if (p == '/' || p == '@' || (p == ':' && !(s >= 7 && startsWith(t, s - 7, n, "mailto:")))) {
                return -1;
            }
        }
        int p = at + 1;
        int labels = 0;
        int lastLabel = p;
        while (true) {
            int ls = p;
            while (p < n && (alnum(t[p]) || t[p] == '-')) {
                p++;
            }
            if (p == ls || t[ls] == '-' || t[p - 1] == '-' || p - ls > 63) {
                return -1;
            }
            labels++;
            lastLabel = ls;
            if (p + 1 < n && t[p] == '.' && alnum(t[p + 1])) {
                p++;
                continue;
            }
            break;
        }
        if (labels < 2 || !tld(t, lastLabel, p)) {
            return -1;
        }
        if (p < n && (t[p] == '_' || t[p] == '@' || (t[p] == ':' && p + 1 < n && word(t[p + 1])))) {
            return -1;
        }
        return ((long) s << 32) | p;
    }

    private static boolean local(char c) {
        return alnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-';
    }

    private static boolean tld(char[] t, int s, int e) {
        if (e - s < 2 || e - s > 24) {
            return false;
        }
        for (int k = s; k < e; k++) {
            if (!letter(t[k])) {
                return false;
            }
        }
        return !NOT_TLD.contains(new String(t, s, e - s).toLowerCase(java.util.Locale.ROOT));
    }
}
