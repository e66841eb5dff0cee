package io.claudemirror.pii;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class JsonTextTest {
    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** Builds JSON source text: {@code ~} stands for a backslash, so Java's own escapes stay out of the way. */
    private static String src(String s) {
        return s.replace('~', '\\');
    }

    @Test
    void rawStartsCountCharsLikeJackson() throws Exception {
        String emoji = new String(Character.toChars(0x1F600));
        String json = src("\"a~n~\"q~~ ~u0040 ~/ 中文 " + emoji + " ~uD83D~uDE00 é~t\"");
        byte[] b = utf8(json);
        int[] starts = new int[b.length + 1];
        String decoded = new ObjectMapper().readValue(json, String.class);
        assertThat(JsonText.rawStarts(b, 1, b.length - 1, starts)).isEqualTo(decoded.length());
    }

    @Test
    void rawStartsMapEveryCharBackToItsBytes() {
        byte[] b = utf8(src("x~n中" + new String(Character.toChars(0x1F600)) + "~u0041z"));
        int[] starts = new int[b.length + 1];
        assertThat(JsonText.rawStarts(b, 0, b.length, starts)).isEqualTo(7);
        // x | backslash-n (2 bytes) | 中 (3) | emoji (4 bytes, two chars) | backslash-u0041 (6) | z
        assertThat(Arrays.copyOf(starts, 8)).containsExactly(0, 1, 3, 6, 6, 10, 16, b.length);
    }

    @Test
    void malformedUtf8CountsOneCharPerBadByte() {
        byte[] b = {'a', (byte) 0xC3, 'b', (byte) 0xFF, (byte) 0xE4, (byte) 0xB8};
        int[] starts = new int[b.length + 1];
        assertThat(JsonText.rawStarts(b, 0, b.length, starts)).isEqualTo(6);
    }

    @Test
    void escapesOnceAndTwice() throws Exception {
        String value = "-----BEGIN KEY-----\n\"q\" " + '\\' + " 中" + (char) 1 + new String(Character.toChars(0x1F600));
        ObjectMapper json = new ObjectMapper();
        String once = new String(JsonText.escaped(value, 1), StandardCharsets.UTF_8);
        assertThat(json.readValue("\"" + once + "\"", String.class)).isEqualTo(value);
        String twice = new String(JsonText.escaped(value, 2), StandardCharsets.UTF_8);
        String inner = json.readValue("\"" + twice + "\"", String.class);
        assertThat(json.readValue("\"" + inner + "\"", String.class)).isEqualTo(value);
    }

    @Test
    void closingQuoteSkipsEscapedQuotes() {
        byte[] b = utf8(src("\"a~\"b~~\" tail"));
        assertThat(JsonText.closingQuote(b, 1, b.length)).isEqualTo(7);
        assertThat(JsonText.closingQuote(utf8("\"open"), 1, 5)).isEqualTo(-1);
    }
}
