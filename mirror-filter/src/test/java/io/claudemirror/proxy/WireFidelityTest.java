package io.claudemirror.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.claudemirror.config.MirrorConfig;
import io.claudemirror.support.Http;
import io.claudemirror.support.MirrorServer;
import io.claudemirror.support.MirrorServer.Container;
import io.claudemirror.testkit.FakeAnthropic;
import io.claudemirror.testkit.RecordedRequest;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Bytes, query strings and headers cross the mirror exactly as CONTRACT §2 and §4 say, both ways. */
class WireFidelityTest {
    static final String KEY = "sk-wire-test";
    static final String UPSTREAM_KEY = "sk-ant-upstream-wire";
    FakeAnthropic fake;
    MirrorServer mirror;

    void start(Container container) throws Exception {
        fake = FakeAnthropic.start();
        mirror = MirrorServer.start(container, MirrorConfig.builder().upstream("primary", fake.baseUrl(), UPSTREAM_KEY)
                .tenant("t", "plain:" + KEY).set("admin.trustLoopback", true).build());
    }

    @AfterEach
    void stop() throws Exception {
        if (mirror != null) {
            mirror.close();
        }
        if (fake != null) {
            fake.close();
        }
    }

    @ParameterizedTest
    @EnumSource(Container.class)
    void bodyQueryAndVersionHeadersArriveByteForByte(Container container) throws Exception {
        start(container);
        String body = "{ \"max_tokens\" :  64,\n\t\"model\":\"claude-opus-4-6\" ,\"messages\":[ {\"content\":"
                + "\"héllo 世界 \\u00e9 \\\"q\\\"  \",\"role\":\"user\"},{\"role\":\"system\",\"content\":\"env\"},"
                + "{\"role\":\"user\",\"content\":\"again\"}],  \"metadata\":{\"user_id\":\"{\\\"device_id\\\":\\\"d\\\"}\"} }  ";
        for (String version : new String[] {"2023-06-01", "2026-10-21"}) {
            HttpResponse<String> r = Http.send(Http.post(mirror.baseUrl() + "/v1/messages?beta=true", KEY, body)
                    .setHeader("anthropic-version", version)
                    .header("anthropic-beta", "claude-code-20250219,oauth-2025-04-20,effort-2025-11-24"));
            assertThat(r.statusCode()).isEqualTo(200);
            RecordedRequest got = fake.journal().last();
            assertThat(got.body()).isEqualTo(body.getBytes(StandardCharsets.UTF_8));
            assertThat(got.rawQuery()).isEqualTo("beta=true");
            assertThat(got.path()).isEqualTo("/v1/messages");
            assertThat(got.header("anthropic-version")).isEqualTo(version);
            assertThat(got.header("anthropic-beta")).isEqualTo("claude-code-20250219,oauth-2025-04-20,effort-2025-11-24");
            assertThat(got.header("content-length")).isEqualTo(String.valueOf(body.getBytes(StandardCharsets.UTF_8).length));
        }
    }

    @ParameterizedTest
    @EnumSource(Container.class)
    void aChunkedBodyWithExpectContinueArrivesWhole(Container container) throws Exception {
        start(container);
        byte[] body = Http.messages("chunked " + "数据".repeat(3000), false).getBytes(StandardCharsets.UTF_8);
        HttpResponse<String> r = Http.send(HttpRequest.newBuilder(URI.create(mirror.baseUrl() + "/v1/messages"))
                .header("x-api-key", KEY).header("anthropic-version", "2023-06-01")
                .header("content-type", "application/json").expectContinue(true)
                // An InputStream publisher has no length: the JDK client sends Transfer-Encoding: chunked.
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(body))));
        assertThat(r.statusCode()).isEqualTo(200);
        RecordedRequest got = fake.journal().last();
        assertThat(got.body()).isEqualTo(body);
        assertThat(got.header("content-length")).isEqualTo(String.valueOf(body.length));
        assertThat(got.header("transfer-encoding")).isNull();
        assertThat(got.header("expect")).isNull();
    }

    @ParameterizedTest
    @EnumSource(Container.class)
    void aCompressedBodyIsDecodedOnceAndForwardedAsItsContent(Container container) throws Exception {
        start(container);
        java.io.ByteArrayOutputStream gz = new java.io.ByteArrayOutputStream();
        try (java.util.zip.GZIPOutputStream out = new java.util.zip.GZIPOutputStream(gz)) {
            out.write(Http.messages("compressed", false).getBytes(StandardCharsets.UTF_8));
        }
        HttpResponse<String> r = Http.send(HttpRequest.newBuilder(URI.create(mirror.baseUrl() + "/v1/messages"))
                .header("x-api-key", KEY).header("anthropic-version", "2023-06-01")
                .header("content-type", "application/json").header("content-encoding", "gzip")
                .POST(HttpRequest.BodyPublishers.ofByteArray(gz.toByteArray())));
        RecordedRequest got = fake.journal().last();
        // The content byte for byte, without the encoding the front door already undid.
        assertThat(got.body()).isEqualTo(Http.messages("compressed", false).getBytes(StandardCharsets.UTF_8));
        assertThat(got.header("content-encoding")).isNull();
        assertThat(r.statusCode()).isEqualTo(200);
    }

    @ParameterizedTest
    @EnumSource(Container.class)
    void headerHygieneBothWays(Container container) throws Exception {
        start(container);
        HttpResponse<String> r = Http.send(Http.post(mirror.baseUrl() + "/v1/messages", KEY, Http.messages("hi", false))
                .header("Cookie", "session=abc")
                .header("X-Forwarded-For", "203.0.113.7")
                .header("Forwarded", "for=203.0.113.7")
                .header("X-Real-IP", "203.0.113.7")
                .header("x-mirror-cache", "bypass")
                .header("X-Claude-Code-Session-Id", "3f2a")
                .header("x-app", "cli")
                .header("User-Agent", "claude-cli/2.1.330 (external, sdk-cli)"));
        assertThat(r.statusCode()).isEqualTo(200);
        RecordedRequest got = fake.journal().last();
        // never upstream: cookies, the client's key, addresses, mirror control headers, Via
        assertThat(got.header("cookie")).isNull();
        assertThat(got.headers("x-api-key")).containsExactly(UPSTREAM_KEY);
        assertThat(got.header("authorization")).isNull();
        assertThat(got.header("x-forwarded-for")).isNull();
        assertThat(got.header("forwarded")).isNull();
        assertThat(got.header("x-real-ip")).isNull();
        assertThat(got.header("via")).isNull();
        assertThat(got.header("x-mirror-cache")).isNull();
        // everything else passes
        assertThat(got.header("x-claude-code-session-id")).isEqualTo("3f2a");
        assertThat(got.header("x-app")).isEqualTo("cli");
        assertThat(got.header("user-agent")).isEqualTo("claude-cli/2.1.330 (external, sdk-cli)");

        // never back: cookies, fingerprints, the upstream account's identity and limits
        assertThat(r.headers().firstValue("set-cookie")).isEmpty();
        assertThat(r.headers().firstValue("via")).isEmpty();
        assertThat(r.headers().firstValue("cf-ray")).isEmpty();
        assertThat(r.headers().firstValue("cf-cache-status")).isEmpty();
        assertThat(r.headers().firstValue("x-envoy-upstream-service-time")).isEmpty();
        assertThat(r.headers().firstValue("anthropic-organization-id")).isEmpty();
        assertThat(r.headers().firstValue("strict-transport-security")).isEmpty();
        assertThat(r.headers().allValues("server")).noneMatch(v -> v.contains("cloudflare"));
        assertThat(r.headers().map().keySet()).noneMatch(h -> h.startsWith("anthropic-ratelimit-")
                && r.headers().firstValue(h).orElse("").equals("1000"));
        // kept: the upstream's request id
        assertThat(r.headers().firstValue("request-id")).hasValueSatisfying(v -> assertThat(v).startsWith("req_"));
        assertThat(r.body()).doesNotContain(UPSTREAM_KEY);
    }

    @ParameterizedTest
    @EnumSource(Container.class)
    void claudeCodeProbeAndHealth(Container container) throws Exception {
        start(container);
        HttpResponse<String> probe = Http.send(HttpRequest.newBuilder(URI.create(mirror.baseUrl() + "/api/hello"))
                .method("HEAD", HttpRequest.BodyPublishers.noBody()).timeout(Duration.ofSeconds(5)));
        assertThat(probe.statusCode()).isEqualTo(200);
        HttpResponse<String> health = Http.send(HttpRequest.newBuilder(URI.create(mirror.baseUrl() + "/health")));
        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(health.body()).contains("\"status\":\"ok\"").contains("\"name\":\"primary\"").doesNotContain(UPSTREAM_KEY);
    }
}
