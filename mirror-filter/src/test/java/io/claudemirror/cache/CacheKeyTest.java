package io.claudemirror.cache;

import static org.assertj.core.api.Assertions.assertThat;

import io.claudemirror.exchange.RequestFacts;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The key leaves out the top-level stream member and nothing else. */
class CacheKeyTest {
    /**
     * The key as the cache filter makes it (the stream member's offset from the front door's facts), checked
     * against the key's own scan of the body: the two must never differ.
     */
    static String key(String scope, String body) {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        String scanned = CacheKey.of(scope, "POST", "/v1/messages", null, "2023-06-01", "", b, b.length);
        String fromFacts = CacheKey.of(scope, "POST", "/v1/messages", null, "2023-06-01", "", b, b.length,
                RequestFacts.parse(b, b.length).streamAt());
        assertThat(fromFacts).as("key from the facts' offset, for %s", body).isEqualTo(scanned);
        return fromFacts;
    }

    @Test
    void streamingAndNonStreamingShareAKeyWhereverTheMemberStands() {
        String plain = key("t:a", "{\"model\":\"m\",\"messages\":[]}");
        assertThat(key("t:a", "{\"stream\":true,\"model\":\"m\",\"messages\":[]}")).isEqualTo(plain);
        assertThat(key("t:a", "{\"model\":\"m\",\"stream\": false, \"messages\":[]}")).isEqualTo(plain);
        assertThat(key("t:a", "{\"model\":\"m\",\"messages\":[], \"stream\" : true}")).isEqualTo(plain);
        // Other whitespace is kept: a different spelling is a miss, never a wrong answer.
        assertThat(key("t:a", "{\"model\":\"m\", \"messages\":[]}")).isNotEqualTo(plain);
    }

    @Test
    void aNestedStreamMemberTheScopeAndTheBodyAllCount() {
        String plain = key("t:a", "{\"model\":\"m\",\"messages\":[]}");
        assertThat(key("t:b", "{\"model\":\"m\",\"messages\":[]}")).isNotEqualTo(plain);
        assertThat(key("t:a", "{\"model\":\"m\",\"messages\":[],\"metadata\":{\"stream\":true}}")).isNotEqualTo(plain);
        assertThat(key("t:a", "{\"model\":\"n\",\"messages\":[]}")).isNotEqualTo(plain);
        // An escaped spelling of the name is the same member to the upstream, but the key keeps it: a miss.
        assertThat(key("t:a", "{\"model\":\"m\",\"stre\\u0061m\":true,\"messages\":[]}")).isNotEqualTo(plain);
        assertThat(CacheKey.streamSpan("{\"a\":\"\\\"stream\\\":true\"}".getBytes(StandardCharsets.UTF_8), 20)).isNull();
    }
}
