package io.claudemirror.proxy;

import java.util.Locale;
import java.util.Set;

/**
 * Which headers cross the mirror (CONTRACT §4). Upstream: never the client's credentials, cookies, addresses
 * or the mirror's own control headers. Back to the client: never cookies, server fingerprints, or — in
 * tenants mode — anything describing the mirror's upstream account.
 */
final class HeaderPolicy {
    /** Request headers never forwarded (hop-by-hop ones are dropped by Jetty's base class already). */
    static final Set<String> REQUEST_DROP = Set.of(
            "cookie", "cookie2", "x-api-key", "authorization", "proxy-authorization", "content-length",
            "x-mirror-cache", "accept-encoding", "expect");

    /** Request headers that carry the client's address; forwarded only when configured. */
    static final Set<String> REQUEST_ADDRESS = Set.of(
            "x-forwarded-for", "x-forwarded-host", "x-forwarded-proto", "x-forwarded-port", "x-forwarded-server",
            "forwarded", "via", "x-real-ip", "true-client-ip", "cf-connecting-ip", "x-client-ip");

    /** Response headers never passed back. */
    static final Set<String> RESPONSE_DROP = Set.of(
            "set-cookie", "set-cookie2", "server", "via", "alt-svc", "strict-transport-security", "report-to", "nel",
            "x-envoy-upstream-service-time", "anthropic-organization-id", "x-powered-by");

    /** Response headers about the upstream account, dropped in tenants mode (the tenant gets its own). */
    static final Set<String> RESPONSE_ACCOUNT = Set.of("anthropic-workspace-id");

    private HeaderPolicy() {
    }

    static boolean dropResponse(String lowerName, boolean tenantsMode) {
        if (RESPONSE_DROP.contains(lowerName) || lowerName.startsWith("cf-") || lowerName.startsWith("x-envoy-")) {
            return true;
        }
        return tenantsMode && (RESPONSE_ACCOUNT.contains(lowerName) || lowerName.startsWith("anthropic-ratelimit-")
                || lowerName.startsWith("anthropic-priority-"));
    }

    static String lower(String name) {
        return name.toLowerCase(Locale.ROOT);
    }
}
