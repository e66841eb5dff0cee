package io.claudemirror.exchange;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;

/** The body read: bounded in size, time and inflation; memory follows the bytes that arrive. */
class BodyReaderTest {
    static final long MAX = 32L * 1024 * 1024;

    /** Hands out one byte per read, like a client that dribbles. */
    static InputStream dribble(byte[] b) {
        return new InputStream() {
            int i;

            @Override
            public int read() {
                return i < b.length ? b[i++] & 0xff : -1;
            }

            @Override
            public int read(byte[] buf, int off, int len) {
                if (i >= b.length) {
                    return -1;
                }
                buf[off] = b[i++];
                return 1;
            }
        };
    }

    static int status(Throwable e) {
        return ((BodyReader.Refused) e).refusal.status();
    }

    @Test
    void aBodyArrivingByteByByteIsReadWholeWhateverTheClockSays() throws Exception {
        byte[] body = "{\"model\":\"claude\",\"messages\":[]}".getBytes(StandardCharsets.UTF_8);
        // No bound, and a start whose difference to now overflows: never a stall (nanoTime's origin is arbitrary).
        BodyReader.Body b = BodyReader.read(dribble(body), body.length, null, MAX, 0, Long.MIN_VALUE / 2 + 1);
        assertThat(new String(b.decoded(), 0, b.decodedLength(), StandardCharsets.UTF_8))
                .isEqualTo(new String(body, StandardCharsets.UTF_8));
        // With a bound that has passed, the same dribble is a stall: 408.
        assertThatThrownBy(() -> BodyReader.read(dribble(body), body.length, null, MAX, 1_000_000,
                System.nanoTime() - 10_000_000_000L))
                .isInstanceOf(BodyReader.Refused.class).satisfies(e -> assertThat(status(e)).isEqualTo(408));
    }

    @Test
    void aLargeDeclarationIsRefusedOrReadOnlyAsFarAsBytesArrive() {
        byte[] few = "{\"a\":1}".getBytes(StandardCharsets.UTF_8);
        // Declares 32 MB, sends 7 bytes and ends: refused as short (the buffer grew with the 7, not the 32 MB).
        assertThatThrownBy(() -> BodyReader.read(dribble(few), MAX, null, MAX, 0, System.nanoTime()))
                .isInstanceOf(BodyReader.Refused.class).satisfies(e -> assertThat(status(e)).isEqualTo(400));
        assertThatThrownBy(() -> BodyReader.read(dribble(few), MAX + 1, null, MAX, 0, System.nanoTime()))
                .isInstanceOf(BodyReader.Refused.class).satisfies(e -> assertThat(status(e)).isEqualTo(413));
    }

    @Test
    void inflationIsBoundedAndUnknownEncodingsAreRefused() throws Exception {
        ByteArrayOutputStream z = new ByteArrayOutputStream();
        try (GZIPOutputStream g = new GZIPOutputStream(z)) {
            g.write(new byte[10_000_000]);
        }
        byte[] bomb = z.toByteArray();
        assertThatThrownBy(() -> BodyReader.read(new ByteArrayInputStream(bomb), bomb.length, "gzip", MAX, 0,
                System.nanoTime())).isInstanceOf(BodyReader.Refused.class)
                .satisfies(e -> assertThat(status(e)).isEqualTo(413));
        assertThatThrownBy(() -> BodyReader.read(new ByteArrayInputStream(bomb), bomb.length, "br", MAX, 0,
                System.nanoTime())).isInstanceOf(BodyReader.Refused.class)
                .satisfies(e -> assertThat(status(e)).isEqualTo(415));
    }
}
