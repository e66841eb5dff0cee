package io.claudemirror.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The first-token search over raw SSE chunks. */
class RequestWatchTest {
    static boolean found(String contentType, String... chunks) {
        RequestWatch w = new RequestWatch();
        w.onHeaders(null, 200, contentType);
        for (String c : chunks) {
            byte[] b = ("##" + c + "##").getBytes(StandardCharsets.UTF_8);
            w.onContent(null, b, 2, b.length - 4); // offset and length are honoured, the padding is not read
        }
        return w.sse() && firstToken(w);
    }

    static boolean firstToken(RequestWatch w) {
        return w.timeToFirstTokenNanos(0) != -1;
    }

    @Test
    void findsTheFirstDeltaEvenWhenSplitAcrossChunks() {
        String start = "event: message_start\ndata: {\"type\":\"message_start\"}\n\n";
        assertThat(found("text/event-stream", start)).isFalse();
        assertThat(found("text/event-stream", start, "event: content_block_delta\ndata: {}\n\n")).isTrue();
        assertThat(found("text/event-stream; charset=utf-8", start + "event: content_bl", "ock_de", "lta\n")).isTrue();
        // A near miss that restarts inside itself ("content_blo" + "content_block_delta").
        assertThat(found("text/event-stream", "content_blocontent_block_delta")).isTrue();
        assertThat(found("text/event-stream", "content_block_start", "content_block_stop")).isFalse();
    }

    @Test
    void ignoresNonStreamResponses() {
        assertThat(found("application/json", "{\"type\":\"content_block_delta\"}")).isFalse();
    }

    @Test
    void failureTableOfThePattern() {
        assertThat(RequestWatch.failureTable("abab".getBytes(StandardCharsets.US_ASCII))).containsExactly(0, 0, 1, 2);
        assertThat(RequestWatch.failureTable("aaa".getBytes(StandardCharsets.US_ASCII))).containsExactly(0, 1, 2);
    }
}
