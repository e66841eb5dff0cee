package io.claudemirror.pii;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Locale;
import java.util.zip.DeflaterOutputStream;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import java.util.zip.InflaterInputStream;

/**
 * A request body sent with {@code Content-Encoding: gzip} or {@code deflate}: inflated (bounded, against
 * decompression bombs) so it can be scanned, and compressed again the same way if the scrubber edited it, so
 * the header the proxy forwards stays true. Other encodings ({@code br}, {@code zstd}) cannot be read here.
 */
final class CompressedBody {
    /** Thrown when the inflated body would pass the request size limit. */
    static final class TooLarge extends IOException {
        private static final long serialVersionUID = 1L;

        TooLarge(long limit) {
            super("request body exceeds the mirror's limit of " + limit + " bytes once decompressed");
        }
    }

    private final boolean gzip;

    private CompressedBody(boolean gzip) {
        this.gzip = gzip;
    }

    /** The codec for a Content-Encoding value; null for none/identity; throws for an encoding it cannot read. */
    static CompressedBody of(String contentEncoding) throws IOException {
        if (contentEncoding == null) {
            return null;
        }
        String e = contentEncoding.trim().toLowerCase(Locale.ROOT);
        switch (e) {
            case "":
            case "identity":
                return null;
            case "gzip":
            case "x-gzip":
                return new CompressedBody(true);
            case "deflate":
                return new CompressedBody(false);
            default:
                throw new IOException("Content-Encoding " + e + " cannot be checked for personal data; "
                        + "send the body uncompressed, or gzip/deflate");
        }
    }

    byte[] inflate(byte[] body, int length, long limit) throws IOException {
        try (InputStream in = gzip ? new GZIPInputStream(new ByteArrayInputStream(body, 0, length))
                : new InflaterInputStream(new ByteArrayInputStream(body, 0, length))) {
            ByteArrayOutputStream out = new ByteArrayOutputStream(Math.max(1024, length * 4));
            byte[] buf = new byte[8192];
            int n;
            while ((n = in.read(buf)) > 0) {
                if (out.size() + (long) n > limit) {
                    throw new TooLarge(limit);
                }
                out.write(buf, 0, n);
            }
            return out.toByteArray();
        }
    }

    byte[] deflate(byte[] body, int length) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(length / 2 + 64);
        try (OutputStream z = gzip ? new GZIPOutputStream(out) : new DeflaterOutputStream(out)) {
            z.write(body, 0, length);
        }
        return out.toByteArray();
    }
}
