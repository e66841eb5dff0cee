package io.claudemirror.pii;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The values one request's redaction replaced, by placeholder. It lives only as long as its request: the
 * response of that request is the only place its values are ever put back, so values never cross requests.
 *
 * <p>A placeholder is {@code [LABEL_id]}, e.g. {@code [PHONE_k3r7wq2mxa]}: ASCII letters, digits, underscores
 * and brackets only, so JSON escaping (once in text, twice in {@code partial_json}) leaves it unchanged and a
 * model copies it verbatim. The id is an HMAC of the value under the scanner's secret key and the vault's scope
 * (the tenant, or a per-request nonce): a user cannot guess it, so literal text never collides with one, and by
 * default the same value gets the same placeholder in every turn, which keeps the conversation prefix
 * byte-identical for prompt caching.
 */
final class PlaceholderVault {
    private static final char[] ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789".toCharArray();
    /** Ten symbols of 5 bits: 50 bits, so two values in one request never share a placeholder in practice. */
    static final int ID_LENGTH = 10;

    private final byte[] key;
    private final String scope;
    private Mac mac;
    // Created with the first placeholder: most requests have none, and should not pay for the maps.
    private Map<String, Entry> byToken;
    private Map<String, Entry> byValue;
    private List<Entry> entries;
    private int maxTokenLength;

    PlaceholderVault(byte[] key, String scope) {
        this.key = key;
        this.scope = scope;
    }

    /** One placeholder and its value, with the value's escaped forms computed on first use. */
    static final class Entry {
        final String token;
        final byte[] tokenBytes;
        final String value;
        private byte[] once;
        private byte[] twice;

        Entry(String token, String value) {
            this.token = token;
            this.tokenBytes = token.getBytes(StandardCharsets.US_ASCII);
            this.value = value;
        }

        /** The value as JSON string content, escaped {@code times} (1 or 2) times. */
        byte[] escaped(int times) {
            if (times == 1) {
                if (once == null) {
                    once = JsonText.escaped(value, 1);
                }
                return once;
            }
            if (twice == null) {
                twice = JsonText.escaped(value, 2);
            }
            return twice;
        }
    }

    /** The placeholder for {@code value}; the same value of the same type always gets the same one. */
    String placeholder(String type, String label, String value) {
        if (entries == null) {
            byToken = new HashMap<>();
            byValue = new HashMap<>();
            entries = new ArrayList<>();
        }
        String valueKey = type + '\u0000' + value;
        Entry e = byValue.get(valueKey);
        if (e != null) {
            return e.token;
        }
        String token = "[" + label + "_" + id(valueKey, ID_LENGTH) + "]";
        if (byToken.containsKey(token)) {
            // Two values with the same 50-bit id in one request: astronomically unlikely, but never restore the
            // wrong value — give the second one a longer id.
            token = "[" + label + "_" + id(valueKey, 24) + "]";
        }
        e = new Entry(token, value);
        byToken.put(token, e);
        byValue.put(valueKey, e);
        entries.add(e);
        maxTokenLength = Math.max(maxTokenLength, e.tokenBytes.length);
        return token;
    }

    boolean isEmpty() {
        return entries == null;
    }

    int size() {
        return entries == null ? 0 : entries.size();
    }

    /** The entry whose placeholder starts at {@code b[at]} (a '[') and ends before {@code limit}, or null. */
    Entry match(byte[] b, int at, int limit) {
        if (entries == null) {
            return null;
        }
        int max = Math.min(limit, at + maxTokenLength);
        for (int k = at + 1; k < max; k++) {
            byte c = b[k];
            if (c == ']') {
                return byToken.get(new String(b, at, k + 1 - at, StandardCharsets.ISO_8859_1));
            }
            if (!tokenChar(c)) {
                return null;
            }
        }
        return null;
    }

    /** True if {@code b[at, limit)} (starting with '[') is a proper prefix of one of the placeholders. */
    boolean partial(byte[] b, int at, int limit) {
        int len = limit - at;
        if (entries == null || len >= maxTokenLength) {
            return false;
        }
        for (Entry e : entries) {
            // Tokens differ in length (labels do): a shorter token than the bytes held cannot be their start.
            if (e.tokenBytes.length > len && java.util.Arrays.equals(b, at, limit, e.tokenBytes, 0, len)) {
                return true;
            }
        }
        return false;
    }

    private static boolean tokenChar(byte c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    }

    private String id(String valueKey, int length) {
        byte[] h;
        try {
            if (mac == null) {
                mac = Mac.getInstance("HmacSHA256");
                mac.init(new SecretKeySpec(key, "HmacSHA256"));
            }
            mac.update(scope.getBytes(StandardCharsets.UTF_8));
            mac.update((byte) 0);
            h = mac.doFinal(valueKey.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available", e);
        }
        char[] out = new char[length];
        long bits = 0;
        int have = 0;
        int src = 0;
        for (int i = 0; i < length; i++) {
            if (have < 5) {
                bits = (bits << 8) | (h[src++] & 0xFF);
                have += 8;
            }
            out[i] = ALPHABET[(int) (bits >>> (have - 5)) & 31];
            have -= 5;
        }
        return new String(out);
    }
}
