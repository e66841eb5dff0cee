package io.claudemirror.pii;

import io.claudemirror.exchange.ResponseTransformer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Puts one request's redacted values back into its response. A stream is restored event by event
 * ({@link SseRestorer}); a JSON {@code Message} is restored when complete, in its text blocks and tool inputs
 * only. Error responses pass untouched (clients match on upstream wording), as does anything else.
 *
 * <p>Restoring never fails a response: if it breaks, the rest passes through unchanged. The client may then see
 * a placeholder, which leaks nothing.
 */
final class RestoringTransformer implements ResponseTransformer {
    private static final Logger LOG = LoggerFactory.getLogger(RestoringTransformer.class);
    private static final ByteBuffer NOTHING = ByteBuffer.allocate(0);

    private enum Kind { UNKNOWN, PASS, SSE, JSON }

    private final PlaceholderVault vault;
    private final String requestId;
    private Kind kind = Kind.UNKNOWN;
    private SseRestorer sse;
    private ByteSink json;

    RestoringTransformer(PlaceholderVault vault, String requestId) {
        this.vault = vault;
        this.requestId = requestId;
    }

    @Override
    public void begin(int status, String contentType) {
        String ct = contentType == null ? "" : contentType.toLowerCase(Locale.ROOT);
        if (status < 200 || status > 299) {
            kind = Kind.PASS;
        } else if (ct.startsWith("text/event-stream")) {
            start(Kind.SSE);
        } else if (ct.startsWith("application/json") || ct.contains("+json")) {
            start(Kind.JSON);
        } else {
            kind = Kind.PASS;
        }
    }

    private void start(Kind k) {
        kind = k;
        if (k == Kind.SSE) {
            sse = new SseRestorer(vault);
        } else if (k == Kind.JSON) {
            json = new ByteSink(8192);
        }
    }

    @Override
    public ByteBuffer transform(byte[] buffer, int offset, int length) {
        if (kind == Kind.UNKNOWN) {
            // begin() was not called: tell a stream from a Message by its first byte.
            start(length > 0 && buffer[offset] == '{' ? Kind.JSON : Kind.SSE);
        }
        switch (kind) {
            case SSE:
                try {
                    return ByteBuffer.wrap(sse.accept(buffer, offset, length));
                } catch (RuntimeException e) {
                    return giveUp(e, sse.abandon(), buffer, offset, length);
                }
            case JSON:
                json.put(buffer, offset, length);
                return NOTHING;
            default:
                return copy(buffer, offset, length);
        }
    }

    @Override
    public ByteBuffer finish() {
        switch (kind) {
            case SSE:
                try {
                    return ByteBuffer.wrap(sse.finish());
                } catch (RuntimeException e) {
                    return giveUp(e, sse.abandon(), null, 0, 0);
                }
            case JSON:
                return ByteBuffer.wrap(restoreMessage(json.array(), json.size()));
            default:
                return NOTHING;
        }
    }

    private ByteBuffer giveUp(RuntimeException e, byte[] held, byte[] buffer, int offset, int length) {
        // Never the message text: it could quote a value.
        LOG.warn("{} PII restore failed ({}); passing the rest of the stream unchanged", requestId,
                e.getClass().getSimpleName());
        kind = Kind.PASS;
        ByteSink out = new ByteSink(held.length + length);
        out.put(held);
        if (buffer != null) {
            out.put(buffer, offset, length);
        }
        return ByteBuffer.wrap(out.toArray());
    }

    private static ByteBuffer copy(byte[] buffer, int offset, int length) {
        byte[] b = new byte[length];
        System.arraycopy(buffer, offset, b, 0, length);
        return ByteBuffer.wrap(b);
    }

    /** The Message with placeholders in its text blocks and tool inputs replaced; the bytes as they were if it does not parse. */
    byte[] restoreMessage(byte[] body, int length) {
        ContentStrings strings;
        try {
            strings = ContentStrings.ofResponse(body, length);
        } catch (IOException | RuntimeException e) {
            return java.util.Arrays.copyOf(body, length);
        }
        ByteSink out = new ByteSink(length + 64);
        int copied = 0;
        for (int r = 0; r < strings.size(); r++) {
            int to = strings.end(r);
            for (int i = strings.start(r); i < to; i++) {
                if (body[i] != '[') {
                    continue;
                }
                PlaceholderVault.Entry e = vault.match(body, i, to);
                if (e != null) {
                    out.put(body, copied, i - copied).put(e.escaped(1));
                    i += e.tokenBytes.length - 1;
                    copied = i + 1;
                }
            }
        }
        out.put(body, copied, length - copied);
        return out.toArray();
    }
}
