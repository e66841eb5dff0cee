package io.claudemirror.proxy;

import java.util.Collection;
import java.util.Locale;

/**
 * A fixed set of ASCII header names looked up case-insensitively without allocating: one pass over the name for
 * a case-folded hash, one probe in an open-addressed table, one {@code equalsIgnoreCase}. It replaces a
 * case-insensitive {@code TreeSet}, whose lookups took several case-insensitive comparisons per header and
 * showed in the request path's profile.
 */
final class HeaderNames {
    private final String[] table;
    private final int mask;

    HeaderNames(Collection<String> names) {
        int size = Integer.highestOneBit(Math.max(4, names.size() * 4) - 1) << 1;
        table = new String[size];
        mask = size - 1;
        for (String n : names) {
            String lower = n.toLowerCase(Locale.ROOT);
            int i = hash(lower) & mask;
            while (table[i] != null && !table[i].equals(lower)) {
                i = (i + 1) & mask;
            }
            table[i] = lower;
        }
    }

    boolean contains(String name) {
        if (name == null) {
            return false;
        }
        for (int i = hash(name) & mask; ; i = (i + 1) & mask) {
            String candidate = table[i];
            if (candidate == null) {
                return false;
            }
            if (candidate.length() == name.length() && candidate.equalsIgnoreCase(name)) {
                return true;
            }
        }
    }

    /** A hash equal for names that differ only in the case of ASCII letters. */
    static int hash(String s) {
        int h = s.length();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            h = 31 * h + (c >= 'A' && c <= 'Z' ? c + 32 : c);
        }
        return h ^ (h >>> 16);
    }
}
