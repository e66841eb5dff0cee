package io.claudemirror.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class FaultsTest {

    private FakeAnthropic fake;

    @BeforeEach
    void start() {
        fake = FakeAnthropic.start();
    }

    @AfterEach
    void stop() {
        fake.close();
    }

    @Test
    void statusFaultHasEnvelopeRetryAfterAndIsUsedOnce() throws Exception {
        fake.enqueue(Fault.status(529, "overloaded_error", "Overloaded").onPath("/v1/messages"));
        HttpResponse<String> models = Http.send(Http.get(fake, "/v1/models")); // other path: not consumed
        HttpResponse<String> failed = Http.send(Http.post(fake, "/v1/messages", Http.messageBody("x", false)));
        HttpResponse<String> ok = Http.send(Http.post(fake, "/v1/messages", Http.messageBody("x", false)));

        assertThat(models.statusCode()).isEqualTo(200);
        assertThat(failed.statusCode()).isEqualTo(529);
        assertThat(failed.headers().firstValue("retry-after")).hasValue("1");
        assertThat(Http.json(failed.body()).at("/error/type").asText()).isEqualTo("overloaded_error");
        assertThat(Http.json(failed.body()).path("request_id").asText())
                .isEqualTo(failed.headers().firstValue("request-id").orElseThrow());
        assertThat(ok.statusCode()).isEqualTo(200);
    }

    @Test
    void apiKeyIsRequiredWhenConfigured() throws Exception {
        fake.requireApiKey("sk-good");
        HttpResponse<String> bad = Http.send(Http.get(fake, "/v1/models").header("x-api-key", "sk-bad"));
        HttpResponse<String> bearer = Http.send(Http.get(fake, "/v1/models").header("Authorization", "Bearer sk-good"));
        assertThat(bad.statusCode()).isEqualTo(401);
        assertThat(Http.json(bad.body()).at("/error/message").asText()).isEqualTo("invalid x-api-key");
        assertThat(bearer.statusCode()).isEqualTo(200);
    }

    @Test
    void resetBeforeHeadersIsAConnectionFailure() {
        fake.enqueue(Fault.resetBeforeHeaders());
        assertThatThrownBy(() -> Http.send(Http.post(fake, "/v1/messages", Http.messageBody("x", false))))
                .isInstanceOf(IOException.class);
        assertThat(fake.journal().size()).isEqualTo(1);
    }

    @Test
    void dropMidStreamTruncatesTheBody() {
        fake.enqueue(Fault.dropMidStream(3));
        assertThatThrownBy(() -> Http.send(Http.post(fake, "/v1/messages", Http.messageBody("hello", true))))
                .isInstanceOf(IOException.class);
        assertThat(fake.clientAborts()).isZero();
    }

    @Test
    void midStreamErrorEndsTheStreamWithAnErrorEvent() throws Exception {
        fake.enqueue(Fault.midStreamError(2, "overloaded_error"));
        List<Http.Event> events = Http.events(
                Http.send(Http.post(fake, "/v1/messages", Http.messageBody("hello", true))).body());
        assertThat(Http.names(events)).containsExactly("message_start", "content_block_start", "error");
        assertThat(events.get(2).data().at("/error/message").asText()).isEqualTo("Overloaded");
    }

    @Test
    void stallSendsPingsThenContinues() throws Exception {
        fake.pingInterval(Duration.ofMillis(100));
        fake.enqueue(Fault.stall(1, Duration.ofMillis(350)));
        List<Http.Event> events = Http.events(
                Http.send(Http.post(fake, "/v1/messages", Http.messageBody("hello", true))).body());
        assertThat(Http.names(events)).startsWith("message_start", "ping", "ping", "ping", "content_block_start")
                .endsWith("message_stop");
    }

    @Test
    void hangingRequestNoticesTheClientLeaving() throws Exception {
        fake.enqueue(Fault.hang());
        try (Socket socket = rawPost(Http.messageBody("x", false))) {
            fake.journal().await(1, Duration.ofSeconds(5));
            Thread.sleep(200);
            assertThat(fake.activeStreams()).isEqualTo(1);
            assertThat(socket.getInputStream().available()).isZero();
        }
        assertThat(fake.awaitClientAbort(Duration.ofSeconds(2))).isTrue();
        waitUntilIdle();
    }

    @Test
    void clientLeavingWhileTheGateBlocksIsSeenAndConnectionsStayReusable() throws Exception {
        CountDownLatch gateReached = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        fake.eventGate(i -> {
            if (i == 3) {
                gateReached.countDown();
                release.await(); // held until the test lets go; the fake must notice the disconnect anyway
            }
        });
        try (Socket socket = rawPost(Http.messageBody("hello there", true))) {
            assertThat(gateReached.await(5, TimeUnit.SECONDS)).isTrue();
            String received = readAvailable(socket.getInputStream(), "event: ping");
            assertThat(received).contains("event: message_start").doesNotContain("content_block_delta");
        }
        assertThat(fake.awaitClientAbort(Duration.ofSeconds(2))).isTrue();
        assertThat(fake.clientAborts()).isEqualTo(1);
        waitUntilIdle();

        // The watch withdrew cleanly: a keep-alive connection serves several streams in a row.
        fake.eventGate(null);
        fake.journal().clear();
        for (int i = 0; i < 3; i++) {
            HttpResponse<String> response = Http.send(Http.post(fake, "/v1/messages", Http.messageBody("again", true)));
            assertThat(Http.names(Http.events(response.body()))).endsWith("message_stop");
        }
        List<RecordedRequest> recorded = fake.journal().all();
        assertThat(recorded.get(1).remoteAddress()).isEqualTo(recorded.get(0).remoteAddress());
        assertThat(recorded.get(2).remoteAddress()).isEqualTo(recorded.get(0).remoteAddress());
        release.countDown();
    }

    private Socket rawPost(String json) throws IOException {
        Socket socket = new Socket("127.0.0.1", fake.port());
        socket.setSoTimeout(5000);
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        OutputStream out = socket.getOutputStream();
        out.write(("POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nanthropic-version: 2023-06-01\r\n"
                + "content-type: application/json\r\ncontent-length: " + body.length + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        out.write(body);
        out.flush();
        return socket;
    }

    private static String readAvailable(InputStream in, String until) throws IOException {
        StringBuilder sb = new StringBuilder();
        byte[] buffer = new byte[4096];
        while (!sb.toString().contains(until)) {
            int n = in.read(buffer);
            if (n < 0) {
                break;
            }
            sb.append(new String(buffer, 0, n, StandardCharsets.UTF_8));
        }
        return sb.toString();
    }

    private void waitUntilIdle() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        while (fake.activeStreams() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(fake.activeStreams()).isZero();
    }
}
