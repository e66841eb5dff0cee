package io.claudemirror.testkit;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A small {@code multipart/form-data} parser over a fully read body (RFC 7578). The fake already holds the exact
 * body bytes for the journal, so parsing them in place is simpler than Jetty's asynchronous multipart API.
 */
final class Multipart {

    /** One part: its headers (lower-case names), form field name, file name (or null) and content. */
    record Part(Map<String, String> headers, String name, String filename, byte[] content) {

        String contentType() {
            return headers.get("content-type");
        }
    }

    private Multipart() {
    }

    /** The {@code boundary} parameter of a multipart content type, or {@code null}. */
    static String boundary(String contentType) {
        if (contentType == null || !contentType.toLowerCase(Locale.ROOT).startsWith("multipart/")) {
            return null;
        }
        return parameter(contentType, "boundary");
    }

    /** Splits the body into parts; returns an empty list when the boundary never occurs. */
    static List<Part> parse(byte[] body, String boundary) {
        byte[] delimiter = ("--" + boundary).getBytes(StandardCharsets.ISO_8859_1);
        List<Part> parts = new ArrayList<>();
        int at = indexOf(body, delimiter, 0);
        while (at >= 0) {
            int afterDelimiter = at + delimiter.length;
            if (startsWith(body, afterDelimiter, "--")) {
                break; // close delimiter
            }
            int headersStart = skipLineEnd(body, afterDelimiter);
            int next = indexOf(body, delimiter, headersStart);
            if (next < 0) {
                break; // truncated body: ignore the unfinished part
            }
            int headersEnd = startsWith(body, headersStart, "\r\n")
                    ? headersStart - 2 // a part without headers
                    : indexOf(body, "\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1), headersStart);
            if (headersEnd < 0 || headersEnd > next) {
                at = next;
                continue;
            }
            int contentEnd = next;
            // The CRLF before the next delimiter belongs to the delimiter, not the content.
            if (contentEnd >= 2 && body[contentEnd - 2] == '\r' && body[contentEnd - 1] == '\n') {
                contentEnd -= 2;
            }
            Map<String, String> headers = headers(body, headersStart, headersEnd);
            String disposition = headers.getOrDefault("content-disposition", "");
            byte[] content = Arrays.copyOfRange(body, headersEnd + 4, Math.max(headersEnd + 4, contentEnd));
            parts.add(new Part(headers, parameter(disposition, "name"), parameter(disposition, "filename"), content));
            at = next;
        }
        return parts;
    }

    private static Map<String, String> headers(byte[] body, int from, int to) {
        Map<String, String> headers = new LinkedHashMap<>();
        if (to <= from) {
            return headers;
        }
        // Header bytes are UTF-8 in practice (browsers and SDKs send UTF-8 file names unescaped).
        for (String line : new String(body, from, to - from, StandardCharsets.UTF_8).split("\r\n")) {
            int colon = line.indexOf(':');
            if (colon > 0) {
                headers.put(line.substring(0, colon).trim().toLowerCase(Locale.ROOT), line.substring(colon + 1).trim());
            }
        }
        return headers;
    }

    /** Value of {@code name=value} or {@code name="value"} in a header such as content-disposition. */
    static String parameter(String header, String name) {
        for (String piece : splitParameters(header)) {
            int eq = piece.indexOf('=');
            if (eq > 0 && piece.substring(0, eq).trim().equalsIgnoreCase(name)) {
                String value = piece.substring(eq + 1).trim();
                if (value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")) {
                    value = value.substring(1, value.length() - 1).replace("\\\"", "\"").replace("\\\\", "\\");
                }
                return value;
            }
        }
        return null;
    }

    /** Splits on ';' outside quotes, so {@code filename="a;b.txt"} stays whole. */
    private static List<String> splitParameters(String header) {
        List<String> pieces = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < header.length(); i++) {
            char c = header.charAt(i);
            if (c == '"' && (i == 0 || header.charAt(i - 1) != '\\')) {
                quoted = !quoted;
            }
            if (c == ';' && !quoted) {
                pieces.add(current.toString());
                current.setLength(0);
            } else {
                current.append(c);
            }
        }
        pieces.add(current.toString());
        return pieces;
    }

    private static int skipLineEnd(byte[] body, int i) {
        while (i < body.length && (body[i] == ' ' || body[i] == '\t')) {
            i++; // transport padding (RFC 2046)
        }
        if (startsWith(body, i, "\r\n")) {
            return i + 2;
        }
        return i < body.length && body[i] == '\n' ? i + 1 : i;
    }

    private static boolean startsWith(byte[] body, int at, String ascii) {
        if (at + ascii.length() > body.length) {
            return false;
        }
        for (int i = 0; i < ascii.length(); i++) {
            if (body[at + i] != ascii.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    static int indexOf(byte[] haystack, byte[] needle, int from) {
        outer:
        for (int i = Math.max(0, from); i <= haystack.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
