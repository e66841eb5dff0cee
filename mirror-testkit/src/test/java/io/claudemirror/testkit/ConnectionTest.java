package io.claudemirror.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Connection-level behaviour: keep-alive after watched responses, close() while requests are held. */
class ConnectionTest {

    private FakeAnthropic fake;

    @BeforeEach
    void start() {
        fake = FakeAnthropic.start();
    }

    @AfterEach
    void stop() {
        fake.close();
    }

    /** The client sends its next request the moment a response ends; no byte of it may get lost. */
    @Test
    void backToBackRequestsOnOneConnection() throws Exception {
        fake.textChunkSize(1000); // keep "turn N" in one delta so the text check below is simple
        fake.enqueue(Fault.delay(Duration.ofMillis(20)));
        try (Socket socket = new Socket("127.0.0.1", fake.port())) {
            socket.setSoTimeout(5000);
            OutputStream out = socket.getOutputStream();
            InputStream in = new BufferedInputStream(socket.getInputStream());
            for (int i = 0; i < 150; i++) {
                out.write(request(Http.messageBody("turn " + i, i % 3 != 0)));
                out.flush();
                String response = readResponse(in);
                assertThat(response).startsWith("HTTP/1.1 200 ").contains("turn " + i);
            }
        }
        assertThat(fake.journal().size()).isEqualTo(150);
        assertThat(fake.clientAborts()).isZero();
    }

    @Test
    void closeCutsHeldRequestsWithoutCountingClientAborts() throws Exception {
        CountDownLatch gated = new CountDownLatch(1);
        fake.eventGate(i -> {
            if (i == 1) {
                gated.countDown();
                new CountDownLatch(1).await(); // forever, unless interrupted
            }
        });
        fake.enqueue(Fault.hang().onPath("/v1/models"));
        CompletableFuture<?> hanging = Http.CLIENT.sendAsync(Http.get(fake, "/v1/models").build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        CompletableFuture<?> streaming = Http.CLIENT.sendAsync(
                Http.post(fake, "/v1/messages", Http.messageBody("x", true)).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(gated.await(5, TimeUnit.SECONDS)).isTrue();
        fake.journal().await(2, Duration.ofSeconds(5));
        assertThat(fake.activeStreams()).isEqualTo(2);

        long start = System.nanoTime();
        fake.close();
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2));
        assertThatThrownBy(() -> hanging.get(5, TimeUnit.SECONDS)).hasCauseInstanceOf(IOException.class);
        assertThatThrownBy(() -> streaming.get(5, TimeUnit.SECONDS)).hasCauseInstanceOf(IOException.class);
        assertThat(fake.clientAborts()).isZero();
        assertThat(fake.activeStreams()).isZero();
    }

    private static byte[] request(String json) {
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        byte[] head = ("POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nanthropic-version: 2023-06-01\r\n"
                + "content-type: application/json\r\ncontent-length: " + body.length + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII);
        byte[] all = new byte[head.length + body.length];
        System.arraycopy(head, 0, all, 0, head.length);
        System.arraycopy(body, 0, all, head.length, body.length);
        return all;
    }

    /** Reads one HTTP/1.1 response (content-length or chunked) and returns it as text. */
    private static String readResponse(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder();
        long length = -1;
        boolean chunked = false;
        for (String line = line(in); !line.isEmpty(); line = line(in)) {
            sb.append(line).append('\n');
            String lower = line.toLowerCase();
            if (lower.startsWith("content-length:")) {
                length = Long.parseLong(lower.substring("content-length:".length()).trim());
            } else if (lower.equals("transfer-encoding: chunked")) {
                chunked = true;
            }
        }
        if (!chunked) {
            return sb.append(new String(in.readNBytes((int) length), StandardCharsets.UTF_8)).toString();
        }
        for (int size = Integer.parseInt(line(in), 16); size > 0; size = Integer.parseInt(line(in), 16)) {
            sb.append(new String(in.readNBytes(size), StandardCharsets.UTF_8));
            line(in);
        }
        line(in); // blank line after the last chunk
        return sb.toString();
    }

    private static String line(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (int c = in.read(); c != '\n'; c = in.read()) {
            if (c < 0) {
                throw new EOFException("connection closed after: " + sb);
            }
            if (c != '\r') {
                sb.append((char) c);
            }
        }
        return sb.toString();
    }
}
