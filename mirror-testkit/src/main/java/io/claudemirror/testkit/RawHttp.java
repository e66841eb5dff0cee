package io.claudemirror.testkit;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * One HTTP/1.1 exchange on a plain socket, the request line and headers exactly as written: for the spellings an
 * HTTP library would correct ({@code post}, {@code /v1/./messages}, {@code /v1/%6dessages}, an odd {@code Host},
 * an oversized header), so the container and the mirror — not the client library — decide what to make of them.
 * The connection is closed after the response ({@code Connection: close}) and read to its end.
 */
public final class RawHttp {
    /** A response: status (-1 when what came back was not HTTP), headers (lower-case names), body as text. */
    public record Response(int status, Map<String, String> headers, String body) {
        public String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }

    private RawHttp() {
    }

    /**
     * Sends {@code method target HTTP/1.1}, the given header lines ("Name: value"; a {@code Host} is added when
     * none is given), {@code Connection: close}, a {@code Content-Length} for {@code body} when not null, and
     * the body.
     */
    public static Response send(int port, String method, String target, byte[] body, String... headers)
            throws IOException {
        StringBuilder head = new StringBuilder(256).append(method).append(' ').append(target).append(" HTTP/1.1");
        boolean host = false;
        for (String h : headers) {
            host |= h.regionMatches(true, 0, "Host:", 0, 5);
            head.append("\r\n").append(h);
        }
        if (!host) {
            head.append("\r\nHost: 127.0.0.1:").append(port);
        }
        if (body != null) {
            head.append("\r\nContent-Length: ").append(body.length);
        }
        return exchange("127.0.0.1", port, head.toString(), body);
    }

    /** Sends {@code head} (request line and headers, without the blank line) plus {@code Host} and close. */
    public static Response send(String host, int port, String head) throws IOException {
        return exchange(host, port, head + "\r\nHost: " + host, null);
    }

    private static Response exchange(String host, int port, String head, byte[] body) throws IOException {
        try (Socket socket = new Socket(host, port)) {
            socket.setSoTimeout(20_000);
            OutputStream out = socket.getOutputStream();
            out.write((head + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            if (body != null) {
                out.write(body);
            }
            out.flush();
            return read(socket.getInputStream());
        }
    }

    /** Everything up to the server's close (or a timeout or reset), split into status, headers and body. */
    public static Response read(InputStream in) throws IOException {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        byte[] buf = new byte[8192];
        try {
            for (int n; (n = in.read(buf)) >= 0; ) {
                all.write(buf, 0, n);
            }
        } catch (SocketTimeoutException | SocketException e) {
            // What arrived before a timeout or a reset is still the answer to look at.
        }
        byte[] bytes = all.toByteArray();
        String text = new String(bytes, StandardCharsets.ISO_8859_1);
        int end = text.indexOf("\r\n\r\n");
        if (!text.startsWith("HTTP/") || end < 0) {
            return new Response(-1, Map.of(), new String(bytes, StandardCharsets.UTF_8));
        }
        String[] lines = text.substring(0, end).split("\r\n");
        Map<String, String> headers = new LinkedHashMap<>();
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            if (colon > 0) {
                headers.put(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).trim());
            }
        }
        byte[] rest = java.util.Arrays.copyOfRange(bytes, end + 4, bytes.length);
        if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
            rest = dechunk(rest);
        }
        return new Response(Integer.parseInt(lines[0].split(" ")[1]), headers, new String(rest, StandardCharsets.UTF_8));
    }

    private static byte[] dechunk(byte[] b) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int i = 0;
        while (i < b.length) {
            int lineEnd = i;
            while (lineEnd + 1 < b.length && !(b[lineEnd] == '\r' && b[lineEnd + 1] == '\n')) {
                lineEnd++;
            }
            String size = new String(b, i, lineEnd - i, StandardCharsets.ISO_8859_1).split(";")[0].trim();
            int n = size.isEmpty() ? 0 : Integer.parseInt(size, 16);
            if (n == 0) {
                break;
            }
            out.write(b, lineEnd + 2, Math.min(n, b.length - lineEnd - 2));
            i = lineEnd + 2 + n + 2;
        }
        return out.toByteArray();
    }
}
