package io.claudemirror.proxy;

import java.util.Collection;
import java.util.List;

/**
 * Which headers cross the mirror (CONTRACT §4). Upstream: never the client's credentials, cookies, addresses
 * or the mirror's own control headers. Back to the client: never cookies, server fingerprints, or — in
 * tenants mode — anything describing the mirror's upstream account.
 */
final class HeaderPolicy {
    // Case-insensitive sets: header names arrive in any case, and lower-casing each one would allocate.

    /** Request headers never forwarded: hop-by-hop, Host, credentials, cookies, the mirror's own controls. */
    static final HeaderNames REQUEST_DROP = ci(List.of(
            "connection", "keep-alive", "proxy-authorization", "proxy-authenticate", "proxy-connection",
            "transfer-encoding", "te", "trailer", "upgrade", "host",
            "cookie", "cookie2", "x-api-key", "authorization", "content-length",
            "x-mirror-cache", "accept-encoding", "expect",
            // The body leaves decoded (the front door inflated it once).
            "content-encoding"));

    /** Request headers that carry the client's address; forwarded only when configured. */
    static final HeaderNames REQUEST_ADDRESS = ci(List.of(
            "x-forwarded-for", "x-forwarded-host", "x-forwarded-proto", "x-forwarded-port", "x-forwarded-server",
            "forwarded", "via", "x-real-ip", "true-client-ip", "cf-connecting-ip", "x-client-ip"));

    /** Hop-by-hop response headers, never copied: the container frames its own response. */
    static final HeaderNames RESPONSE_HOP = ci(List.of(
            "connection", "keep-alive", "proxy-authenticate", "proxy-connection", "transfer-encoding", "te",
            "trailer", "upgrade"));

    /** Response headers never passed back. */
    static final HeaderNames RESPONSE_DROP = ci(List.of(
            "set-cookie", "set-cookie2", "server", "via", "alt-svc", "strict-transport-security", "report-to", "nel",
            "x-envoy-upstream-service-time", "anthropic-organization-id", "x-powered-by"));

    /** Response headers about the upstream account, dropped in tenants mode (the tenant gets its own). */
    static final HeaderNames RESPONSE_ACCOUNT = ci(List.of("anthropic-workspace-id"));

    private static HeaderNames ci(Collection<String> names) {
        return new HeaderNames(names);
    }

    private HeaderPolicy() {
    }

    static boolean dropResponse(String name, boolean tenantsMode) {
        if (RESPONSE_DROP.contains(name) || startsWith(name, "cf-") || startsWith(name, "x-envoy-")) {
            return true;
        }
        return tenantsMode && (RESPONSE_ACCOUNT.contains(name) || startsWith(name, "anthropic-ratelimit-")
                || startsWith(name, "anthropic-priority-"));
    }

    static boolean startsWith(String name, String lowerPrefix) {
        return name.regionMatches(true, 0, lowerPrefix, 0, lowerPrefix.length());
    }
}
