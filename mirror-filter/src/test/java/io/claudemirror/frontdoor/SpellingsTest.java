package io.claudemirror.frontdoor;

import static org.assertj.core.api.Assertions.assertThat;

import io.claudemirror.config.MirrorConfig;
import io.claudemirror.support.MirrorServer;
import io.claudemirror.support.MirrorServer.Container;
import io.claudemirror.testkit.RawHttp;
import io.claudemirror.testkit.FakeAnthropic;
import io.claudemirror.testkit.RecordedRequest;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Issue 7, probes 1 and 2, as one table: every method spelling × every path spelling × every policy (PII in
 * block mode, a model outside the allow-list, a request over the output limit). Nothing a policy forbids reaches
 * the upstream, whatever the spelling; what does reach it is always the normalised path and the canonical
 * method. A raw socket sends the request line exactly as written (an HTTP library would correct it).
 */
class SpellingsTest {
    static final List<String> METHODS = List.of("POST", "post", "Post", "pOsT");
    static final List<String> PATHS = List.of("/v1/messages", "/v1/./messages", "/v1/x/../messages", "/v1/%6dessages",
            "/v1/%6D%65ssages", "/v1/messages/.", "/v1/messages/", "/v1/messages;x=1", "/v1/messages;jsessionid=1/",
            "/v1/./x/.././messages/", "/v1/messages?beta=true");

    FakeAnthropic fake;
    MirrorServer mirror;

    @AfterEach
    void stop() throws Exception {
        if (mirror != null) {
            mirror.close();
        }
        if (fake != null) {
            fake.close();
        }
    }

    static byte[] body(String model, int maxTokens, String text) {
        return ("{\"model\":\"" + model + "\",\"max_tokens\":" + maxTokens + ",\"messages\":[{\"role\":\"user\","
                + "\"content\":\"" + text + "\"}]}").getBytes(StandardCharsets.UTF_8);
    }

    RawHttp.Response send(String method, String path, String key, byte[] body) throws Exception {
        return RawHttp.send(mirror.port(), method, path, body, "x-api-key: " + key,
                "anthropic-version: 2023-06-01", "content-type: application/json");
    }

    @ParameterizedTest
    @EnumSource(Container.class)
    void noSpellingWalksAroundAPolicyAndTheUpstreamOnlySeesNormalisedRequests(Container container) throws Exception {
        fake = FakeAnthropic.start();
        mirror = MirrorServer.start(container, MirrorConfig.builder().upstream("primary", fake.baseUrl(), "sk-up")
                .tenant("pii", "plain:k-pii").set("tenants[0].pii", "block")
                .tenant("model", "plain:k-model").set("tenants[1].models", List.of("claude-3-5-haiku-*"))
                .tenant("limit", "plain:k-limit").set("tenants[2].limits.outputTokensPerMinute", 100)
                .tenant("free", "plain:k-free")
                .set("audit.dir", "").build());
        byte[] pii = body("claude-3-5-haiku-latest", 50, "mail zhang.san@example.com card 6222021234567890128");
        byte[] model = body("claude-opus-4-1", 50, "hello");
        byte[] limit = body("claude-3-5-haiku-latest", 4096, "hello");
        byte[] fine = body("claude-3-5-haiku-latest", 50, "hello");
        int forwarded = 0;
        for (String method : METHODS) {
            for (String path : PATHS) {
                String what = method + " " + path;
                RawHttp.Response r = send(method, path, "k-pii", pii);
                assertThat(r.status()).as("PII, " + what).isEqualTo(400);
                assertThat(r.body()).as(what).contains("invalid_request_error").doesNotContain("6222021234567890128");
                r = send(method, path, "k-model", model);
                assertThat(r.status()).as("model, " + what).isEqualTo(403);
                r = send(method, path, "k-limit", limit);
                assertThat(r.status()).as("limit, " + what).isEqualTo(429);
                assertThat(fake.journal().size()).as("nothing forbidden went upstream, " + what).isEqualTo(forwarded);

                r = send(method, path, "k-free", fine);
                assertThat(r.status()).as("allowed, " + what).isEqualTo(200);
                forwarded++;
                RecordedRequest got = fake.journal().last();
                assertThat(got.method()).as(what).isEqualTo("POST");
                assertThat(got.path()).as(what).isEqualTo("/v1/messages");
                assertThat(got.rawQuery()).as(what).isEqualTo(path.endsWith("?beta=true") ? "beta=true" : null);
            }
        }
        assertThat(fake.journal().size()).isEqualTo(METHODS.size() * PATHS.size());
    }

    @ParameterizedTest
    @EnumSource(Container.class)
    void pathsThatCannotBeNormalisedSafelyGetAnEnvelopeAndNeverLeave(Container container) throws Exception {
        fake = FakeAnthropic.start();
        mirror = MirrorServer.start(container, MirrorConfig.builder().upstream("primary", fake.baseUrl(), "sk-up")
                .tenant("free", "plain:k-free").set("audit.dir", "").build());
        byte[] fine = body("claude-3-5-haiku-latest", 50, "hello");
        for (String path : List.of("/v1/messages%2Fcount_tokens", "/v1/%00messages", "/v1/mess%zzages",
                "/v1/../../etc/passwd")) {
            RawHttp.Response r = send("POST", path, "k-free", fine);
            assertThat(r.status()).as(path).isBetween(400, 404);
        }
        assertThat(fake.journal().size()).isZero();
    }
}
