package io.claudemirror.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class ModelAllowListTest {
    @Test
    void globsMatchLikeShellPatterns() {
        assertThat(ModelAllowList.matches("claude-*", "claude-sonnet-4-5-20250929")).isTrue();
        assertThat(ModelAllowList.matches("claude-*", "claude-")).isTrue();
        assertThat(ModelAllowList.matches("claude-*", "gpt-4o")).isFalse();
        assertThat(ModelAllowList.matches("*haiku*", "claude-3-5-haiku-latest")).isTrue();
        assertThat(ModelAllowList.matches("claude-?-opus", "claude-3-opus")).isTrue();
        assertThat(ModelAllowList.matches("claude-?-opus", "claude-35-opus")).isFalse();
        assertThat(ModelAllowList.matches("claude-*-4-*", "claude-sonnet-4-5")).isTrue();
        assertThat(ModelAllowList.matches("claude-*-4-*", "claude-sonnet-3-5")).isFalse();
        assertThat(ModelAllowList.matches("claude-opus-4-1", "claude-opus-4-1")).isTrue();
        assertThat(ModelAllowList.matches("claude-opus-4-1", "claude-opus-4-1-20250805")).isFalse();
        assertThat(ModelAllowList.matches("Claude-*", "claude-opus")).as("case-sensitive").isFalse();
        assertThat(ModelAllowList.matches("*", "")).isTrue();
        assertThat(ModelAllowList.matches("a*b*c", "aXbYbZc")).isTrue();
        assertThat(ModelAllowList.matches("a*b*c", "aXbYbZ")).isFalse();
    }

    @Test
    void emptyListAllowsEverything() {
        ModelAllowList all = ModelAllowList.of(List.of());
        assertThat(all.allowsAll()).isTrue();
        assertThat(all.allows("anything")).isTrue();
    }

    @Test
    void anyGlobAdmits() {
        ModelAllowList l = ModelAllowList.of(List.of("claude-*-haiku-*", "claude-sonnet-4-5"));
        assertThat(l.allows("claude-3-5-haiku-20241022")).isTrue();
        assertThat(l.allows("claude-sonnet-4-5")).isTrue();
        assertThat(l.allows("claude-opus-4-1")).isFalse();
        assertThat(l.allows(null)).isFalse();
    }

    @Test
    void findsADisallowedModelInsideABatch() {
        ModelAllowList l = ModelAllowList.of(List.of("claude-*-haiku-*"));
        String body = "{\"requests\":[{\"custom_id\":\"a\",\"params\":{\"model\":\"claude-3-5-haiku-1\",\"max_tokens\":5,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\",\"model\":\"x\"}]}},"
                + "{\"custom_id\":\"b\",\"params\":{\"max_tokens\":5,\"model\":\"claude-opus-4-1\"}}]}";
        assertThat(l.firstDisallowedInBatch(bytes(body), body.length())).isEqualTo("claude-opus-4-1");
        String ok = "{\"other\":{\"model\":\"claude-opus\"},\"requests\":[{\"params\":{\"model\":\"claude-3-haiku-x\"}}]}";
        assertThat(l.firstDisallowedInBatch(bytes(ok), ok.length())).isNull();
        // Unreadable or not a string: not checkable, so not allowed.
        assertThat(l.firstDisallowedInBatch(bytes("{not json"), 9)).isNotNull();
        String array = "{\"requests\":[{\"params\":{\"model\":[\"claude-3-haiku-x\"]}}]}";
        assertThat(l.firstDisallowedInBatch(bytes(array), array.length())).isNotNull();
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
