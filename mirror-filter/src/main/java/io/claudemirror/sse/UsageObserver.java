package io.claudemirror.sse;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.claudemirror.exchange.Exchange;
import io.claudemirror.exchange.RequestFacts;
import io.claudemirror.exchange.ResponseObserver;
import io.claudemirror.exchange.Usage;
import java.io.IOException;
import java.util.Arrays;

/**
 * Reads token usage from a {@code /v1/messages} response into {@link Exchange#usage()}: from the JSON body, or
 * in a stream from {@code message_start} and the cumulative {@code message_delta} events. The stream is scanned
 * line by line with one reusable buffer; only the two usage-bearing events are parsed as JSON, so the
 * per-event cost of every other event is a byte scan.
 */
public final class UsageObserver implements ResponseObserver {
    /** JSON bodies larger than this are not parsed for usage (a Message is far smaller). */
    static final int MAX_JSON_BODY = 8 * 1024 * 1024;

    private boolean sse;
    private boolean active;
    // Allocated on the first bytes, at least their size: a JSON answer that arrives in one chunk is copied once,
    // into a buffer of its size, instead of into 256 bytes that then double.
    private byte[] line;
    private int lineLength;
    private boolean overflow;
    private int event;   // 0 other, 1 message_start, 2 message_delta

    /**
     * The request factory's limits without its duplicate-key check: that check guards the mirror against a client
     * whose body reads differently to two parsers; an upstream answer is not such a body, and the check cost a
     * hash set per JSON object of every answer (the allocation profile showed it). First key wins.
     */
    private static final com.fasterxml.jackson.core.JsonFactory RESPONSES = RequestFacts.jsonFactory().rebuild()
            .disable(com.fasterxml.jackson.core.StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();

    private static final byte[] EVENT = "event:".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    private static final byte[] DATA = "data:".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    private static final byte[] MESSAGE_START = "message_start".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    private static final byte[] MESSAGE_DELTA = "message_delta".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    @Override
    public void onHeaders(Exchange exchange, int status, String contentType) {
        active = status == 200;
        sse = contentType != null && contentType.startsWith("text/event-stream");
    }

    @Override
    public void onContent(Exchange exchange, byte[] buffer, int offset, int length) {
        if (!active) {
            return;
        }
        if (!sse) {
            append(buffer, offset, length, MAX_JSON_BODY);
            return;
        }
        int end = offset + length;
        int start = offset;
        for (int i = offset; i < end; i++) {
            if (buffer[i] == '\n') {
                append(buffer, start, i - start, 1 << 20);
                onLine(exchange);
                lineLength = 0;
                overflow = false;
                start = i + 1;
            }
        }
        if (start < end) {
            append(buffer, start, end - start, 1 << 20);
        }
    }

    @Override
    public void onEnd(Exchange exchange, Throwable failure) {
        if (active && !sse && failure == null && !overflow && lineLength > 0) {
            parseUsage(exchange.usage(), line, 0, lineLength, true);
        }
        line = null;
    }

    private void append(byte[] b, int off, int len, int max) {
        if (overflow || len == 0) {
            return;
        }
        if (lineLength + len > max) {
            overflow = true;
            return;
        }
        if (line == null) {
            line = new byte[Math.max(256, len)];
        } else if (lineLength + len > line.length) {
            line = Arrays.copyOf(line, Math.max(line.length * 2, lineLength + len));
        }
        System.arraycopy(b, off, line, lineLength, len);
        lineLength += len;
    }

    private void onLine(Exchange exchange) {
        int len = lineLength;
        if (len > 0 && line[len - 1] == '\r') {
            len--;
        }
        if (len == 0) {
            event = 0;
            return;
        }
        if (startsWith(EVENT, len)) {
            int p = skipSpace(EVENT.length, len);
            event = matches(MESSAGE_START, p, len) ? 1 : matches(MESSAGE_DELTA, p, len) ? 2 : 0;
        } else if (event != 0 && !overflow && startsWith(DATA, len)) {
            int p = skipSpace(DATA.length, len);
            parseUsage(exchange.usage(), line, p, len - p, event == 1);
        }
    }

    private boolean startsWith(byte[] prefix, int len) {
        if (len < prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (line[i] != prefix[i]) {
                return false;
            }
        }
        return true;
    }

    private int skipSpace(int p, int len) {
        return p < len && line[p] == ' ' ? p + 1 : p;
    }

    private boolean matches(byte[] word, int p, int len) {
        if (len - p != word.length) {
            return false;
        }
        for (int i = 0; i < word.length; i++) {
            if (line[p + i] != word[i]) {
                return false;
            }
        }
        return true;
    }

    /**
     * Finds the first {@code usage} object (top-level, or inside {@code message} for message_start) and applies
     * its counts. Input is the sum of uncached, cache-write and cache-read input tokens.
     */
    static void parseUsage(Usage usage, byte[] json, int off, int len, boolean isStart) {
        try (JsonParser p = RESPONSES.createParser(json, off, len)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return;
            }
            if (findUsage(p, 0)) {
                long input = -1;
                long cacheCreate = 0;
                long cacheRead = 0;
                long output = -1;
                JsonToken t;
                while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
                    String name = p.currentName();
                    t = p.nextToken();
                    if (t == JsonToken.VALUE_NUMBER_INT) {
                        switch (name) {
                            case "input_tokens": input = p.getLongValue(); break;
                            case "cache_creation_input_tokens": cacheCreate = p.getLongValue(); break;
                            case "cache_read_input_tokens": cacheRead = p.getLongValue(); break;
                            case "output_tokens": output = p.getLongValue(); break;
                            default: break;
                        }
                    } else {
                        p.skipChildren();
                    }
                }
                if (input >= 0) {
                    usage.input(input + cacheCreate + cacheRead);
                    usage.cacheRead(cacheRead);
                }
                if (output >= 0) {
                    usage.output(output);
                }
            }
        } catch (IOException | RuntimeException e) {
            // Not parseable: usage stays unknown and limits keep their reservation. Counted by the caller's metrics.
        }
    }

    /** Advances the parser to just inside the first "usage" object at depth ≤ 1; true if found. */
    private static boolean findUsage(JsonParser p, int depth) throws IOException {
        JsonToken t;
        while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            t = p.nextToken();
            if (t == JsonToken.START_OBJECT) {
                if (name.equals("usage")) {
                    return true;
                }
                if (depth == 0 && name.equals("message") && findUsage(p, 1)) {
                    return true;
                }
                if (depth > 0 || !name.equals("message")) {
                    p.skipChildren();
                }
            } else {
                p.skipChildren();
            }
        }
        return false;
    }
}
