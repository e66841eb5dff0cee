package io.claudemirror.support;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * A client on a raw socket, for tests that must disconnect at an exact point of a stream (an HTTP library
 * would pool, retry or drain the connection).
 */
public final class RawClient implements AutoCloseable {
    private final Socket socket;
    private final BufferedReader in;

    private RawClient(Socket socket) throws IOException {
        this.socket = socket;
        this.in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
    }

    /** Opens a connection and sends {@code POST /v1/messages} with {@code body} and the mirror key. */
    public static RawClient postMessages(int port, String key, byte[] body) throws IOException {
        Socket socket = new Socket("127.0.0.1", port);
        socket.setSoTimeout(15_000);
        OutputStream out = socket.getOutputStream();
        out.write(("POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nx-api-key: " + key
                + "\r\nanthropic-version: 2023-06-01\r\ncontent-type: application/json\r\ncontent-length: "
                + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.write(body);
        out.flush();
        return new RawClient(socket);
    }

    /** Reads lines until {@code count} SSE {@code event:} lines have arrived; returns how many did. */
    public int readEvents(int count) throws IOException {
        int events = 0;
        String line;
        while (events < count && (line = in.readLine()) != null) {
            if (line.startsWith("event:")) {
                events++;
            }
        }
        return events;
    }

    /** Reads lines until one contains {@code text}; false if the stream ended first. */
    public boolean readUntil(String text) throws IOException {
        String line;
        while ((line = in.readLine()) != null) {
            if (line.contains(text)) {
                return true;
            }
        }
        return false;
    }

    /** Closes the connection: the disconnect the tests are about. */
    @Override
    public void close() throws IOException {
        socket.close();
    }
}
