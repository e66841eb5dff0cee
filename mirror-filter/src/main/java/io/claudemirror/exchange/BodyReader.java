package io.claudemirror.exchange;

import io.claudemirror.exchange.ApiRequest.Refusal;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.Locale;
import java.io.ByteArrayInputStream;
import java.util.zip.GZIPInputStream;
import java.util.zip.InflaterInputStream;

/**
 * Reads a request body once, before any slot is taken, and decodes it once. Bounded three ways:
 * <ul>
 *   <li><b>size</b>: a body declared larger than {@code maxRequestBytes} is refused before a byte is read, a
 *       chunked one as soon as it passes the limit;</li>
 *   <li><b>memory follows bytes received, not bytes declared</b>: the buffer starts small and doubles as data
 *       arrives, so a client that announces 32 MB and sends one byte holds a few KB;</li>
 *   <li><b>time</b>: the whole body must arrive within {@code timeouts.bodyRead}; a client that stalls gets 408.
 *       The read blocks its thread (a non-blocking read would need an ASYNC re-dispatch, which re-runs every
 *       filter), so a silent client is also cut by the container's own read timeout; docs/deployment.md tells
 *       hosts how to set it.</li>
 * </ul>
 * A {@code gzip} or {@code deflate} body is inflated once, at most to {@code maxRequestBytes} and to
 * {@link #MAX_INFLATION_RATIO} times its compressed size (a few KB that inflate to megabytes of repeated text
 * are an attack on the scanner, not a prompt); any other {@code Content-Encoding} is refused with 415, because
 * a body the mirror cannot read is a body it cannot check.
 */
public final class BodyReader {
    /** Largest accepted ratio of decoded to compressed size. Real JSON prompts compress 3–15×. */
    public static final int MAX_INFLATION_RATIO = 64;

    private static final int FIRST_BUFFER = 8 * 1024;

    private BodyReader() {
    }

    /** The body as read and decoded. {@code raw} is what arrived; {@code decoded} the same array when not encoded. */
    record Body(byte[] raw, int rawLength, byte[] decoded, int decodedLength, String encoding) {
    }

    /** Thrown with the envelope to answer. */
    static final class Refused extends Exception {
        private static final long serialVersionUID = 1L;
        final transient Refusal refusal;

        Refused(int status, String type, String message) {
            super(message, null, false, false);
            this.refusal = new Refusal(status, type, message);
        }
    }

    static Body read(InputStream in, long declared, String contentEncoding, long maxBytes, long timeoutNanos,
                     long startNanos) throws Refused {
        String encoding = encoding(contentEncoding);
        if (declared > maxBytes) {
            throw tooLarge(maxBytes, "");
        }
        byte[] buf = new byte[(int) Math.max(0, Math.min(declared >= 0 ? declared : FIRST_BUFFER, FIRST_BUFFER))];
        int n = 0;
        // nanoTime has an arbitrary origin: compare differences, and only when a bound is set (0 = none).
        boolean bounded = timeoutNanos > 0;
        long deadline = startNanos + timeoutNanos;
        try {
            while (declared < 0 || n < declared) {
                if (n == buf.length) {
                    long cap = declared >= 0 ? declared : maxBytes + 1;
                    if (buf.length >= cap) {
                        break;
                    }
                    buf = Arrays.copyOf(buf, (int) Math.min(cap, Math.max(FIRST_BUFFER, (long) buf.length * 2)));
                }
                int r = in.read(buf, n, buf.length - n);
                if (r < 0) {
                    break;
                }
                n += r;
                if (n > maxBytes) {
                    throw tooLarge(maxBytes, "");
                }
                if (bounded && System.nanoTime() - deadline > 0) {
                    throw stalled();
                }
            }
        } catch (IOException e) {
            // A read timeout of the container or a connection that failed mid-body: the client stopped sending.
            if (bounded && System.nanoTime() - deadline > 0 || isTimeout(e)) {
                throw stalled();
            }
            throw new Refused(400, "invalid_request_error", "the request body could not be read completely");
        }
        if (declared >= 0 && n < declared) {
            throw new Refused(400, "invalid_request_error",
                    "the request body ended after " + n + " of " + declared + " declared bytes");
        }
        if (encoding == null) {
            return new Body(buf, n, buf, n, null);
        }
        return inflate(buf, n, encoding, maxBytes);
    }

    /**
     * Inflates into a buffer that grows with the output, stopping as soon as the output passes the size limit or
     * the ratio bound, so the work done for a hostile body is bounded by what an honest one may cost.
     */
    static Body inflate(byte[] raw, int rawLength, String encoding, long maxBytes) throws Refused {
        long limit = Math.min(maxBytes, Math.max(64L * 1024, (long) rawLength * MAX_INFLATION_RATIO));
        byte[] out = new byte[(int) Math.min(limit + 1, Math.max(FIRST_BUFFER, (long) rawLength * 4))];
        int n = 0;
        try (InputStream in = "gzip".equals(encoding)
                ? new GZIPInputStream(new ByteArrayInputStream(raw, 0, rawLength), 4096)
                : new InflaterInputStream(new ByteArrayInputStream(raw, 0, rawLength))) {
            while (true) {
                if (n == out.length) {
                    if (n > limit) {
                        break;
                    }
                    out = Arrays.copyOf(out, (int) Math.min(limit + 1, (long) out.length * 2));
                }
                int r = in.read(out, n, out.length - n);
                if (r < 0) {
                    break;
                }
                n += r;
                if (n > limit) {
                    break;
                }
            }
        } catch (IOException e) {
            throw new Refused(400, "invalid_request_error", "the request body could not be decompressed ("
                    + encoding + ")");
        }
        if (n > limit) {
            if (limit == maxBytes) {
                throw tooLarge(maxBytes, " once decompressed");
            }
            throw new Refused(413, "request_too_large", "the request body inflates more than "
                    + MAX_INFLATION_RATIO + " times its compressed size; send it uncompressed");
        }
        return new Body(raw, rawLength, out, n, encoding);
    }

    private static Refused tooLarge(long maxBytes, String how) {
        return new Refused(413, "request_too_large", "request body exceeds the mirror's limit of " + maxBytes
                + " bytes" + how);
    }

    private static Refused stalled() {
        return new Refused(408, "timeout_error", "the request body did not arrive in time (timeouts.bodyRead); "
                + "the client stalled while sending it");
    }

    private static boolean isTimeout(Throwable e) {
        for (Throwable c = e; c != null; c = c.getCause()) {
            if (c instanceof java.util.concurrent.TimeoutException || c instanceof java.net.SocketTimeoutException) {
                return true;
            }
        }
        return false;
    }

    /** The codec name for a {@code Content-Encoding} value, null for none; refuses what cannot be decoded. */
    static String encoding(String header) throws Refused {
        if (header == null) {
            return null;
        }
        String e = header.trim().toLowerCase(Locale.ROOT);
        switch (e) {
            case "":
            case "identity":
                return null;
            case "gzip":
            case "x-gzip":
                return "gzip";
            case "deflate":
                return "deflate";
            default:
                throw new Refused(415, "invalid_request_error", "Content-Encoding '" + sanitize(e) + "' is not "
                        + "supported by this mirror; send the body uncompressed, or gzip or deflate compressed");
        }
    }

    private static String sanitize(String s) {
        StringBuilder b = new StringBuilder(Math.min(s.length(), 32));
        for (int i = 0; i < s.length() && b.length() < 32; i++) {
            char c = s.charAt(i);
            b.append(c >= 0x20 && c < 0x7f && c != '"' && c != '\\' ? c : '?');
        }
        return b.toString();
    }
}
