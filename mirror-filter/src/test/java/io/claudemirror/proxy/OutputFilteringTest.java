package io.claudemirror.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.claudemirror.config.MirrorConfig;
import io.claudemirror.support.Http;
import io.claudemirror.support.MirrorServer;
import io.claudemirror.support.MirrorServer.Container;
import io.claudemirror.testkit.FakeAnthropic;
import io.claudemirror.testkit.Fault;
import io.claudemirror.testkit.RecordedRequest;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The mirror does not leak what is behind it: its upstream credential's failures become a neutral error, an
 * echoed upstream key is masked, while ordinary upstream errors, files and passthrough traffic pass as sent.
 */
class OutputFilteringTest {
    static final String UPSTREAM_KEY = "sk-ant-api03-upstream-SECRET-0123456789";
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

    void tenants(Container container) throws Exception {
        fake = FakeAnthropic.start();
        mirror = MirrorServer.start(container, MirrorConfig.builder().upstream("primary", fake.baseUrl(), UPSTREAM_KEY)
                .tenant("t", "plain:k").build());
    }

    @ParameterizedTest
    @EnumSource(Container.class)
    void upstreamRejectingTheMirrorsCredentialBecomesANeutralError(Container container) throws Exception {
        tenants(container);
        fake.enqueue(Fault.status(401, "authentication_error", "invalid x-api-key"));
        HttpResponse<String> r = Http.send(Http.post(mirror.baseUrl() + "/v1/messages", "k", Http.messages("x", false)));
        assertThat(r.statusCode()).isEqualTo(502);
        assertThat(r.body()).contains("\"type\":\"api_error\"").contains("mirror").doesNotContain("invalid x-api-key");
        assertThat(r.headers().firstValue("request-id")).isPresent();
    }

    @ParameterizedTest
    @EnumSource(Container.class)
    void anEchoedUpstreamKeyIsMaskedButTheErrorOtherwisePassesVerbatim(Container container) throws Exception {
        tenants(container);
        String body = "{\"type\":\"error\",\"error\":{\"type\":\"invalid_request_error\",\"message\":\"prompt is too long: "
                + "208000 tokens > 200000 maximum (key " + UPSTREAM_KEY + ")\"},\"request_id\":\"req_011CabcdefABCDEF0123456789\"}";
        fake.enqueue(Fault.rawStatus(400, "application/json", body));
        HttpResponse<String> r = Http.send(Http.post(mirror.baseUrl() + "/v1/messages", "k", Http.messages("x", false)));
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(r.body()).isEqualTo(body.replace(UPSTREAM_KEY, "[REDACTED]"));
    }

    @ParameterizedTest
    @EnumSource(Container.class)
    void multipartFileUploadPassesByteForByte(Container container) throws Exception {
        tenants(container);
        String boundary = "----mirror" + System.nanoTime();
        byte[] content = "col1,col2\n1,\u4e2d\u6587\n".getBytes(StandardCharsets.UTF_8);
        String head = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"data.csv\"\r\n"
                + "Content-Type: text/csv\r\n\r\n";
        String tail = "\r\n--" + boundary + "--\r\n";
        byte[] multipart = concat(head.getBytes(StandardCharsets.UTF_8), content, tail.getBytes(StandardCharsets.UTF_8));
        HttpResponse<String> r = Http.send(HttpRequest.newBuilder(URI.create(mirror.baseUrl() + "/v1/files"))
                .header("x-api-key", "k").header("anthropic-version", "2023-06-01")
                .header("anthropic-beta", "files-api-2025-04-14")
                .header("content-type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofByteArray(multipart)));
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).contains("\"filename\":\"data.csv\"").contains("\"size_bytes\":" + content.length);
        RecordedRequest got = fake.journal().last();
        assertThat(got.body()).isEqualTo(multipart);
        assertThat(got.header("content-type")).isEqualTo("multipart/form-data; boundary=" + boundary);
    }

    @ParameterizedTest
    @EnumSource(Container.class)
    void passthroughForwardsTheClientsOwnKeyAndItsRateLimitHeaders(Container container) throws Exception {
        fake = FakeAnthropic.start().requireApiKey("sk-ant-client-own");
        mirror = MirrorServer.start(container, MirrorConfig.builder().upstream("primary", fake.baseUrl(), "")
                .set("auth.mode", "passthrough").build());
        HttpResponse<String> ok = Http.send(HttpRequest.newBuilder(URI.create(mirror.baseUrl() + "/v1/models"))
                .header("Authorization", "Bearer sk-ant-client-own").header("anthropic-version", "2026-10-21"));
        assertThat(ok.statusCode()).isEqualTo(200);
        assertThat(fake.journal().last().header("authorization")).isEqualTo("Bearer sk-ant-client-own");
        // the client's own account: its limits are its own business
        assertThat(ok.headers().firstValue("anthropic-ratelimit-requests-limit")).isPresent();
        HttpResponse<String> bad = Http.send(HttpRequest.newBuilder(URI.create(mirror.baseUrl() + "/v1/models"))
                .header("x-api-key", "sk-ant-wrong").header("anthropic-version", "2023-06-01"));
        assertThat(bad.statusCode()).isEqualTo(401);
        assertThat(bad.body()).contains("authentication_error");
    }

    static byte[] concat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) {
            n += p.length;
        }
        byte[] out = new byte[n];
        int i = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, out, i, p.length);
            i += p.length;
        }
        return out;
    }
}
