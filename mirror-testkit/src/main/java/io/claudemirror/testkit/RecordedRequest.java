package io.claudemirror.testkit;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One HTTP request as the fake received it, recorded before any response was produced.
 *
 * @param method          request method as sent, e.g. {@code POST}
 * @param path            raw (still percent-encoded) path, e.g. {@code /v1/messages}
 * @param rawQuery        raw query string without {@code ?}, or {@code null} when the URL had none
 * @param headers         every header line in arrival order, names spelled as received
 * @param body            the exact body bytes (after de-chunking; no content decoding), never {@code null}
 * @param receivedAtNanos {@link System#nanoTime()} when the request began to arrive
 * @param remoteAddress   peer socket address as {@code ip:port} (the port tells connections apart; on HTTP/2 every
 *                        stream of one connection shares it)
 * @param protocol        the HTTP version it came in on: {@code HTTP/1.1} or {@code HTTP/2.0}
 */
public record RecordedRequest(String method, String path, String rawQuery, List<Map.Entry<String, String>> headers,
                              byte[] body, long receivedAtNanos, String remoteAddress, String protocol) {

    /** Returns the first header with this name (case-insensitive), or {@code null}. */
    public String header(String name) {
        for (Map.Entry<String, String> h : headers) {
            if (h.getKey().equalsIgnoreCase(name)) {
                return h.getValue();
            }
        }
        return null;
    }

    /** Returns the values of all headers with this name (case-insensitive), in arrival order. */
    public List<String> headers(String name) {
        List<String> values = new ArrayList<>();
        for (Map.Entry<String, String> h : headers) {
            if (h.getKey().equalsIgnoreCase(name)) {
                values.add(h.getValue());
            }
        }
        return values;
    }

    /** The body decoded as UTF-8. */
    public String bodyText() {
        return new String(body, StandardCharsets.UTF_8);
    }

    /** Path plus {@code ?query} when present, handy in assertion messages. */
    public String pathAndQuery() {
        return rawQuery == null ? path : path + "?" + rawQuery;
    }

    @Override
    public String toString() {
        return method + " " + pathAndQuery() + " (" + protocol + ", " + body.length + " body bytes from " + remoteAddress
                + ")";
    }
}
