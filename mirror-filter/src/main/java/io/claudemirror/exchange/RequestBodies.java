package io.claudemirror.exchange;

import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import java.util.Arrays;

/**
 * Reads a request body once into the Exchange, bounded by {@code maxRequestBytes}. A body announced larger
 * than the limit is refused before a byte is read; a chunked body is refused as soon as it passes the limit.
 */
public final class RequestBodies {
    /** Thrown when the body is larger than allowed. */
    public static final class TooLargeException extends IOException {
        private static final long serialVersionUID = 1L;

        TooLargeException(long limit) {
            super("request body exceeds the mirror's limit of " + limit + " bytes");
        }
    }

    private RequestBodies() {
    }

    /** Reads the body if not read yet. Returns the exchange's body (possibly empty, never null afterwards). */
    public static byte[] read(Exchange exchange, HttpServletRequest request, long maxBytes) throws IOException {
        if (exchange.hasBody()) {
            return exchange.body();
        }
        long declared = request.getContentLengthLong();
        if (declared > maxBytes) {
            throw new TooLargeException(maxBytes);
        }
        byte[] buf;
        int n = 0;
        ServletInputStream in = request.getInputStream();
        if (declared >= 0) {
            buf = new byte[(int) declared];
            while (n < buf.length) {
                int r = in.read(buf, n, buf.length - n);
                if (r < 0) {
                    throw new IOException("request body ended after " + n + " of " + declared + " bytes");
                }
                n += r;
            }
        } else {
            buf = new byte[8192];
            while (true) {
                if (n == buf.length) {
                    if (buf.length >= maxBytes + 1) {
                        throw new TooLargeException(maxBytes);
                    }
                    buf = Arrays.copyOf(buf, (int) Math.min((long) buf.length * 2, maxBytes + 1));
                }
                int r = in.read(buf, n, buf.length - n);
                if (r < 0) {
                    break;
                }
                n += r;
                if (n > maxBytes) {
                    throw new TooLargeException(maxBytes);
                }
            }
        }
        exchange.body(buf, n);
        return buf;
    }
}
