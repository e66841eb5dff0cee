package io.claudemirror.auth;

import jakarta.servlet.http.HttpServletRequest;

/** Reads the credential a client presents: {@code x-api-key}, or {@code Authorization: Bearer}. */
public final class Credentials {
    private Credentials() {
    }

    /** The presented key, or null. {@code x-api-key} wins when both are sent (Claude Code's apiKeyHelper sends both). */
    public static String presented(HttpServletRequest request) {
        String key = request.getHeader("x-api-key");
        if (key != null && !key.isBlank()) {
            return key.trim();
        }
        String auth = request.getHeader("Authorization");
        if (auth != null && auth.length() > 7 && auth.regionMatches(true, 0, "Bearer ", 0, 7)) {
            String token = auth.substring(7).trim();
            return token.isEmpty() ? null : token;
        }
        return null;
    }
}
