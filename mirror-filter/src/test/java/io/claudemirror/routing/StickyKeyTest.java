package io.claudemirror.routing;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Where a request's conversation key comes from. */
class StickyKeyTest {
    private static String key(String header, String body) {
        byte[] b = body == null ? null : body.getBytes(StandardCharsets.UTF_8);
        return StickyKey.extract(header, b, b == null ? 0 : b.length);
    }

    @Test
    void theClaudeCodeSessionHeaderWins() {
        assertThat(key("8b1f-session", "{\"metadata\":{\"user_id\":\"user_x_account_y_session_zz\"}}"))
                .isEqualTo("h:8b1f-session");
    }

    @Test
    void elseTheSessionPartOfMetadataUserId() {
        String body = "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],"
                + "\"metadata\":{\"other\":{\"a\":[1]},\"user_id\":\"user_abc123_account_0000-11_session_5f2e-77\"}}";
        assertThat(key(null, body)).isEqualTo("s:5f2e-77");
        assertThat(key("  ", body)).isEqualTo("s:5f2e-77");
    }

    @Test
    void elseAHashOfSystemAndTheFirstMessageThatLaterTurnsShare() {
        String turn1 = "{\"system\":[{\"type\":\"text\",\"text\":\"You are helpful\"}],"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"first question\"}],\"max_tokens\":10}";
        String turn2 = "{\"max_tokens\":99,\"system\":[{\"type\":\"text\",\"text\":\"You are helpful\"}],"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"first question\"},{\"role\":\"assistant\","
                + "\"content\":\"answer\"},{\"role\":\"user\",\"content\":\"second\"}]}";
        String other = "{\"system\":[{\"type\":\"text\",\"text\":\"You are helpful\"}],"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"another conversation\"}]}";
        String k1 = key(null, turn1);
        assertThat(k1).startsWith("b:").hasSize(34);
        assertThat(key(null, turn2)).isEqualTo(k1);
        assertThat(key(null, other)).isNotEqualTo(k1);
        assertThat(key(null, "{\"system\":\"plain\",\"messages\":[]}"))
                .isNotEqualTo(key(null, "{\"system\":\"other\",\"messages\":[]}"));
    }

    @Test
    void noConversationWithoutAnyOfThem() {
        assertThat(key(null, null)).isNull();
        assertThat(key(null, "")).isNull();
        assertThat(key(null, "{\"model\":\"m\"}")).isNull();
        assertThat(key(null, "not json")).isNull();
        assertThat(key(null, "[1,2]")).isNull();
        assertThat(key(null, "{\"messages\":[{\"role\":")).as("cut short").isNull();
        assertThat(key(null, "{\"metadata\":{\"user_id\":\"user_without_session\"}}")).isNull();
    }

    @Test
    void aLongHeaderIsHashedSoTheTableStaysBounded() {
        String k = key("x".repeat(10_000), null);
        assertThat(k).startsWith("h:").hasSize(34);
    }
}
