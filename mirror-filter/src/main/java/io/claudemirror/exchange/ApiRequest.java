package io.claudemirror.exchange;

import java.util.Locale;

/**
 * The request line as the mirror understands it, built once per request before any policy runs: the canonical
 * method, the normalised path, the query as sent, the endpoint, and the file or batch id the path names. Every
 * filter and the proxy decide on these facts, and the upstream receives {@link #path()}, never the raw URI, so a
 * spelling the client chose ({@code post}, {@code /v1/./messages}, {@code /v1/%6dessages},
 * {@code /v1/messages;x=1}) cannot make one component see a different request than another.
 *
 * @param method     upper-case method ({@code post} and {@code Post} are {@code POST})
 * @param path       normalised API path, starting at {@code /v1} (the mount path removed), no trailing slash
 * @param query      the raw query string, or null
 * @param endpoint   what the request is
 * @param resourceKind {@code "file"} or {@code "batch"} when the path names one by id (whatever the method), else null
 * @param resourceId the file or batch id from the path, or null
 */
public record ApiRequest(String method, String path, String query, Endpoint endpoint, String resourceKind,
                         String resourceId) {

    public static final String FILE = "file";
    public static final String BATCH = "batch";

    /** The path and query as the upstream receives them. */
    public String pathAndQuery() {
        return query == null ? path : path + "?" + query;
    }

    public boolean isPost() {
        return "POST".equals(method);
    }

    public boolean isGet() {
        return "GET".equals(method);
    }

    /** Why a request line was refused: the status and message of the envelope the client gets. */
    public record Refusal(int status, String errorType, String message) {
    }

    /** Either a request line or why it was refused. */
    public record Parsed(ApiRequest request, Refusal refusal) {
    }

    private static final Parsed NOT_FOUND = new Parsed(null, new Refusal(404, "not_found_error", "Not found"));

    /**
     * Normalises {@code rawUri} (as sent: percent-encoded, with any {@code ;params}) under {@code contextPath}
     * and {@code mountPath}. Percent-encoded unreserved characters are decoded, {@code ;params} dropped, empty
     * and {@code .} segments removed, {@code ..} resolved, a trailing slash dropped. A path that still holds an
     * encoded character after that ({@code %2F}, {@code %00}…), a {@code ..} above the root, or a method that is
     * not a token is refused; a path outside {@code {mountPath}/v1} is not found.
     */
    public static Parsed parse(String rawMethod, String rawUri, String query, String contextPath, String mountPath) {
        String method = canonicalMethod(rawMethod);
        if (method == null) {
            return refuse(400, "invalid_request_error", "unsupported request method");
        }
        if (rawUri == null || rawUri.isEmpty() || rawUri.charAt(0) != '/') {
            return NOT_FOUND;
        }
        String[] segments = new String[16];
        int n = 0;
        int len = rawUri.length();
        int i = 1;
        while (i <= len) {
            int end = rawUri.indexOf('/', i);
            if (end < 0) {
                end = len;
            }
            int semi = rawUri.indexOf(';', i);
            int segEnd = semi >= 0 && semi < end ? semi : end;
            String seg;
            try {
                seg = decodeUnreserved(rawUri, i, segEnd);
            } catch (IllegalArgumentException e) {
                return refuse(400, "invalid_request_error", "request path contains an encoded character the mirror "
                        + "does not accept");
            }
            i = end + 1;
            if (seg.isEmpty() || ".".equals(seg)) {
                continue;
            }
            if ("..".equals(seg)) {
                if (n == 0) {
                    return refuse(400, "invalid_request_error", "request path leaves the root");
                }
                n--;
                continue;
            }
            if (n == segments.length) {
                if (n >= 64) {
                    return refuse(400, "invalid_request_error", "request path has too many segments");
                }
                segments = java.util.Arrays.copyOf(segments, n * 2);
            }
            segments[n++] = seg;
        }
        int at = skip(segments, n, 0, contextPath);
        if (at < 0) {
            return NOT_FOUND;
        }
        at = skip(segments, n, at, mountPath);
        if (at < 0 || at >= n || !"v1".equals(segments[at])) {
            return NOT_FOUND;
        }
        StringBuilder path = new StringBuilder(32);
        for (int k = at; k < n; k++) {
            path.append('/').append(segments[k]);
        }
        Endpoint endpoint = Endpoint.classify(method, segments, at, n);
        String kind = null;
        String id = null;
        int rest = n - at - 1;
        if (rest >= 2 && "files".equals(segments[at + 1])) {
            kind = FILE;
            id = segments[at + 2];
        } else if (rest >= 3 && "messages".equals(segments[at + 1]) && "batches".equals(segments[at + 2])) {
            kind = BATCH;
            id = segments[at + 3];
        }
        return new Parsed(new ApiRequest(method, path.toString(), query == null || query.isEmpty() ? null : query,
                endpoint, kind, id), null);
    }

    /** Index after the segments of {@code prefix} (a path like {@code /claude}), or -1 when they do not lead. */
    private static int skip(String[] segments, int n, int at, String prefix) {
        if (prefix == null || prefix.isEmpty() || "/".equals(prefix)) {
            return at;
        }
        int i = prefix.charAt(0) == '/' ? 1 : 0;
        while (i < prefix.length()) {
            int end = prefix.indexOf('/', i);
            if (end < 0) {
                end = prefix.length();
            }
            if (end > i) {
                if (at >= n || !prefix.regionMatches(i, segments[at], 0, end - i) || segments[at].length() != end - i) {
                    return -1;
                }
                at++;
            }
            i = end + 1;
        }
        return at;
    }

    private static Parsed refuse(int status, String type, String message) {
        return new Parsed(null, new Refusal(status, type, message));
    }

    static String canonicalMethod(String m) {
        if (m == null || m.isEmpty() || m.length() > 16) {
            return null;
        }
        switch (m) {
            case "GET":
            case "POST":
            case "DELETE":
            case "HEAD":
                return m; // the common spellings, without allocating
            default:
                break;
        }
        for (int i = 0; i < m.length(); i++) {
            char c = m.charAt(i);
            if (!(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z')) {
                return null;
            }
        }
        return m.toUpperCase(Locale.ROOT);
    }

    /** Decodes {@code %XX} of unreserved characters; any other encoded byte is refused. */
    static String decodeUnreserved(String s, int from, int to) {
        int pct = s.indexOf('%', from);
        if (pct < 0 || pct >= to) {
            return s.substring(from, to);
        }
        StringBuilder b = new StringBuilder(to - from);
        for (int i = from; i < to; i++) {
            char c = s.charAt(i);
            if (c != '%') {
                b.append(c);
                continue;
            }
            if (i + 2 >= to) {
                throw new IllegalArgumentException("truncated escape");
            }
            int v = Character.digit(s.charAt(i + 1), 16) << 4 | Character.digit(s.charAt(i + 2), 16);
            if (v < 0 || !unreserved((char) v)) {
                throw new IllegalArgumentException("encoded reserved character");
            }
            b.append((char) v);
            i += 2;
        }
        return b.toString();
    }

    static boolean unreserved(char c) {
        return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.'
                || c == '_' || c == '~';
    }
}
