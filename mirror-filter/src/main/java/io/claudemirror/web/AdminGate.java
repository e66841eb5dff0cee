package io.claudemirror.web;

import io.claudemirror.MirrorRuntime;
import io.claudemirror.auth.Credentials;
import io.claudemirror.auth.TenantDirectory;
import io.claudemirror.config.MirrorConfig.Admin;
import io.claudemirror.errors.ErrorResponses;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;

/**
 * Who may see the operator's view ({@code /health} details, {@code /metrics}, the status page): a caller that
 * presents one of {@code admin.keys} as {@code x-api-key}, {@code Authorization: Bearer} or the password of HTTP
 * Basic (so a browser can open the page), or, with {@code admin.trustLoopback}, any caller on a loopback
 * address. Keys are held as SHA-256 digests and compared in constant time, like tenant keys. Tenant keys are
 * not admin keys: a tenant must not read other tenants' usage.
 */
public final class AdminGate {
    private final byte[][] digests;
    private final boolean trustLoopback;

    AdminGate(Admin admin) {
        List<String> keys = admin.keys();
        digests = new byte[keys.size()][];
        for (int i = 0; i < keys.size(); i++) {
            String k = keys.get(i);
            digests[i] = k.startsWith("sha256:") ? HexFormat.of().parseHex(k.substring(7).toLowerCase(Locale.ROOT))
                    : TenantDirectory.sha256(k.substring(6));
        }
        trustLoopback = admin.trustLoopback();
    }

    /** The runtime's gate, built once from {@code admin.*}. */
    public static AdminGate of(MirrorRuntime runtime) {
        return runtime.service(AdminGate.class, () -> new AdminGate(runtime.config().admin()));
    }

    /** True when {@code request} comes from an admin of {@code runtime}'s mirror. */
    public static boolean allowed(MirrorRuntime runtime, HttpServletRequest request) {
        return of(runtime).allows(request);
    }

    public boolean allows(HttpServletRequest request) {
        if (trustLoopback && isLoopback(request.getRemoteAddr())) {
            return true;
        }
        if (digests.length == 0) {
            return false;
        }
        String key = Credentials.presented(request);
        if (key == null) {
            key = basicPassword(request.getHeader("Authorization"));
        }
        if (key == null || key.isEmpty()) {
            return false;
        }
        byte[] d = TenantDirectory.sha256(key);
        boolean match = false;
        for (byte[] digest : digests) {
            match |= MessageDigest.isEqual(d, digest); // no early exit: constant time over the list
        }
        return match;
    }

    /** Answers 401 with the envelope and a Basic challenge, so a browser asks for the admin key. */
    public static void deny(HttpServletResponse response) throws IOException {
        response.setHeader("WWW-Authenticate", "Basic realm=\"claude-mirror admin\", charset=\"UTF-8\"");
        ErrorResponses.write(response, null, 401, ErrorResponses.AUTHENTICATION,
                "this page needs an admin key (admin.keys): send it as x-api-key, Bearer or a Basic password", 0);
    }

    static String basicPassword(String authorization) {
        if (authorization == null || authorization.length() < 7 || !authorization.regionMatches(true, 0, "Basic ", 0, 6)) {
            return null;
        }
        try {
            String decoded = new String(Base64.getDecoder().decode(authorization.substring(6).trim()), StandardCharsets.UTF_8);
            int colon = decoded.indexOf(':');
            return colon < 0 ? null : decoded.substring(colon + 1);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    static boolean isLoopback(String address) {
        if (address == null || address.isEmpty()) {
            return false;
        }
        // Literal addresses only (getRemoteAddr never needs a lookup); anything else is not trusted.
        char c = address.charAt(0);
        if (!(Character.isDigit(c) || address.indexOf(':') >= 0)) {
            return false;
        }
        try {
            return InetAddress.getByName(address).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }
}
