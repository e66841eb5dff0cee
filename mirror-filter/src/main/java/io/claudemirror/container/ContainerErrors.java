package io.claudemirror.container;

import io.claudemirror.errors.ErrorResponses;
import java.security.SecureRandom;

/**
 * What the container error pages of this package share: which requests are the mirror's (so they get the
 * Anthropic envelope instead of the container's HTML page), and the envelope for a status the container chose.
 * <p>
 * A request is the mirror's when its path, as the client spelt it or as it resolves, lies under the mount: under
 * {@code {mountPath}} when a mount path is configured (the mirror owns everything there: {@code /v1}, {@code /health},
 * the status page), under {@code /v1} with the default empty mount (the host owns the rest). The comparison first
 * decodes percent-encoded unreserved characters, drops {@code ;params} and collapses repeated slashes, so
 * {@code //v1/messages}, {@code /%76%31/x} and {@code /v1;a=b/x} count as the mirror's too; a path the container
 * could not parse at all is compared as far as it goes. Nothing of the request (URI, header values) is echoed in the
 * message: the container's reason may quote the client's bytes.
 */
public final class ContainerErrors {
    private static final char[] ID_CHARS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".toCharArray();
    private static final SecureRandom RANDOM = new SecureRandom();

    private ContainerErrors() {
    }

    /** Whether {@code path} (the raw request path, query allowed; may be {@code null}) is under the mirror's mount. */
    public static boolean underMount(String path, String mountPath) {
        if (path == null || path.isEmpty()) {
            return false;
        }
        String prefix = prefix(mountPath);
        String light = light(path);
        return startsWithSegment(light, prefix) || startsWithSegment(resolveDots(light), prefix);
    }

    /**
     * Whether a path the client spelt under the mount resolves outside it: {@code rawPath} is under the mount as
     * written (before dot segments are resolved), {@code resolvedPath} (the container's decoded, normalised path)
     * is not; e.g. {@code /v1/%2e%2e/health}, which Tomcat hands to {@code /health}. Such a request is refused: the
     * client addressed the mirror, and the mirror does not serve it. {@code null} for either means "cannot tell".
     */
    public static boolean escapesMount(String rawPath, String resolvedPath, String mountPath) {
        if (rawPath == null || resolvedPath == null) {
            return false;
        }
        String prefix = prefix(mountPath);
        return startsWithSegment(light(rawPath), prefix) && !startsWithSegment(light(resolvedPath), prefix);
    }

    /** The Anthropic error type for a status the container chose. */
    public static String type(int status) {
        return switch (status) {
            case 404, 405 -> ErrorResponses.NOT_FOUND;
            case 408 -> ErrorResponses.TIMEOUT;
            case 413, 414, 431 -> ErrorResponses.REQUEST_TOO_LARGE;
            default -> status >= 500 ? ErrorResponses.API_ERROR : ErrorResponses.INVALID_REQUEST;
        };
    }

    /** A fixed message per status: the container refused the request before the mirror saw it. */
    public static String message(int status) {
        return switch (status) {
            case 400 -> "The request could not be parsed (malformed request line, URI, path or header).";
            case 404 -> "Not found: the path does not name a resource of the API.";
            case 405 -> "Method not allowed for this path.";
            case 408 -> "The request body did not arrive in time (the container's read timeout, set from timeouts.bodyRead).";
            case 413 -> "The request is too large.";
            case 414 -> "The request URI is too long.";
            case 431 -> "The request headers are too large.";
            default -> status >= 500 ? "The server could not handle the request." : "The request was refused.";
        };
    }

    /** The envelope for {@code status}, with {@code requestId}. */
    public static String envelope(int status, String requestId) {
        return ErrorResponses.envelope(type(status), message(status), requestId);
    }

    /** A new request id in the mirror's form, {@code req_} and 24 letters or digits. */
    public static String newRequestId() {
        char[] c = new char[28];
        c[0] = 'r';
        c[1] = 'e';
        c[2] = 'q';
        c[3] = '_';
        for (int i = 4; i < c.length; i++) {
            c[i] = ID_CHARS[RANDOM.nextInt(ID_CHARS.length)];
        }
        return new String(c);
    }

    /** Query cut, unreserved escapes decoded, {@code ;params} dropped, slashes collapsed; never fails. */
    static String light(String raw) {
        int q = indexOfAny(raw, '?', '#');
        String p = q >= 0 ? raw.substring(0, q) : raw;
        StringBuilder sb = new StringBuilder(p.length());
        boolean inParams = false;
        for (int i = 0; i < p.length(); i++) {
            char ch = p.charAt(i);
            if (ch == '%' && i + 2 < p.length()) {
                int v = hex(p.charAt(i + 1)) * 16 + hex(p.charAt(i + 2));
                if (v >= 0 && unreserved((char) v)) {
                    ch = (char) v;
                    i += 2;
                }
            }
            if (ch == '/') {
                inParams = false;
                if (sb.length() == 0 || sb.charAt(sb.length() - 1) != '/') {
                    sb.append('/');
                }
            } else if (ch == ';') {
                inParams = true;
            } else if (!inParams) {
                sb.append(ch);
            }
        }
        return sb.toString();
    }

    /** RFC 3986 dot-segment removal on an already collapsed path. */
    static String resolveDots(String path) {
        String[] parts = path.split("/", -1);
        java.util.ArrayDeque<String> out = new java.util.ArrayDeque<>();
        for (int i = 1; i < parts.length; i++) {
            String s = parts[i];
            if (s.equals(".")) {
                continue;
            }
            if (s.equals("..")) {
                out.pollLast();
                continue;
            }
            out.addLast(s);
        }
        return "/" + String.join("/", out);
    }

    private static String prefix(String mountPath) {
        return mountPath == null || mountPath.isEmpty() || mountPath.equals("/") ? "/v1" : mountPath;
    }

    private static boolean startsWithSegment(String path, String prefix) {
        return path.startsWith(prefix) && (path.length() == prefix.length() || path.charAt(prefix.length()) == '/');
    }

    private static boolean unreserved(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                || c == '-' || c == '.' || c == '_' || c == '~';
    }

    private static int hex(char c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        }
        if (c >= 'A' && c <= 'F') {
            return c - 'A' + 10;
        }
        return -1000;
    }

    private static int indexOfAny(String s, char a, char b) {
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) == a || s.charAt(i) == b) {
                return i;
            }
        }
        return -1;
    }
}
