package io.claudemirror.auth;

import io.claudemirror.config.MirrorConfig.Tenant;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * Finds the tenant a presented mirror key belongs to. Keys are held only as SHA-256 digests (a {@code plain:}
 * key from the configuration is hashed at start-up and then forgotten). A presented key is hashed and compared
 * with every stored digest in constant time, without an early exit, so the time taken says nothing about which
 * key, or how much of one, matched.
 */
public final class TenantDirectory {
    private final byte[][] digests;
    private final Tenant[] owners;

    public TenantDirectory(List<Tenant> tenants) {
        int n = 0;
        for (Tenant t : tenants) {
            n += t.keys().size();
        }
        digests = new byte[n][];
        owners = new Tenant[n];
        int i = 0;
        for (Tenant t : tenants) {
            for (String k : t.keys()) {
                digests[i] = k.startsWith("sha256:")
                        ? HexFormat.of().parseHex(k.substring(7).toLowerCase(java.util.Locale.ROOT))
                        : sha256(k.substring(6));
                owners[i] = t;
                i++;
            }
        }
    }

    /** The tenant owning {@code presentedKey}, or null. */
    public Tenant find(String presentedKey) {
        if (presentedKey == null || presentedKey.isEmpty()) {
            return null;
        }
        byte[] d = sha256(presentedKey);
        Tenant found = null;
        for (int i = 0; i < digests.length; i++) {
            // MessageDigest.isEqual is constant-time for equal lengths; keep scanning after a match.
            if (MessageDigest.isEqual(d, digests[i]) && found == null) {
                found = owners[i];
            }
        }
        return found;
    }

    public static byte[] sha256(String key) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by the Java platform", e);
        }
    }

    /** The {@code sha256:<hex>} form of a key, for writing configuration files. */
    public static String hashedForm(String key) {
        return "sha256:" + HexFormat.of().formatHex(sha256(key));
    }
}
