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
                    // The chunk is already in the restorer's pending bytes: abandon() returns it with the rest.
                    return giveUp(e, sse.abandon());
                }
            case JSON:
                json.put(buffer, offset, length);
                return NOTHING;
            default:
                // The proxy writes this before it releases the upstream chunk, so no copy is needed.
                return ByteBuffer.wrap(buffer, offset, length);
        }
    }

    @Override
    public ByteBuffer finish() {
        switch (kind) {
            case SSE:
                try {
                    return ByteBuffer.wrap(sse.finish());
                } catch (RuntimeException e) {
                    return giveUp(e, sse.abandon());
                }
            case JSON:
                return ByteBuffer.wrap(restoreMessage(json.array(), json.size()));
            default:
                return NOTHING;
        }
    }

    private ByteBuffer giveUp(RuntimeException e, byte[] held) {
        // Never the exception message: it could quote a value.
        LOG.warn("{} PII restore failed ({}); passing the rest of the stream unchanged", requestId,
                e.getClass().getSimpleName());
        kind = Kind.PASS;
        return ByteBuffer.wrap(held);
    }

    /** The Message with its text blocks and tool inputs restored; the bytes as they were if it does not parse. */
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
