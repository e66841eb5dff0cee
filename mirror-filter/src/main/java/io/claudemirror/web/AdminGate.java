package io.claudemirror.web;

import io.claudemirror.MirrorRuntime;
import jakarta.servlet.http.HttpServletRequest;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * Who may see the operator's pages ({@code /mirror/status} and its JSON). One static check so every admin page
 * decides the same way. For now: a caller on the loopback interface only (the demos bind 127.0.0.1, and an
 * operator reaches a server through an SSH tunnel). The {@code admin.keys} / {@code admin.trustLoopback}
 * configuration (x-api-key, Bearer or HTTP Basic password) replaces this rule when it lands.
 */
public final class AdminGate {
    private AdminGate() {
    }

    /** Whether {@code request} may see admin-only data of {@code runtime}'s mirror. */
    public static boolean allowed(MirrorRuntime runtime, HttpServletRequest request) {
        return loopback(request.getRemoteAddr());
    }

    static boolean loopback(String address) {
        if (address == null || address.isEmpty()) {
            return false;
        }
        // Only literal addresses: getRemoteAddr never needs a name lookup, and none must happen here.
        char c = address.charAt(0);
        if (!(Character.digit(c, 16) >= 0 || c == ':' || c == '[')) {
            return false;
        }
        try {
            return InetAddress.getByName(address.replace("[", "").replace("]", "")).isLoopbackAddress();
        } catch (UnknownHostException | SecurityException e) {
            return false;
        }
    }
}
