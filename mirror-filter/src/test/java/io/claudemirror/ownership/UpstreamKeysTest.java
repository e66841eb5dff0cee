package io.claudemirror.ownership;

import static org.assertj.core.api.Assertions.assertThat;

import com.anthropic.client.AnthropicClient;
import com.anthropic.client.okhttp.AnthropicOkHttpClient;
import com.anthropic.models.files.FileMetadata;
import com.anthropic.models.files.FileUploadParams;
import io.claudemirror.config.MirrorConfig;
import io.claudemirror.exchange.ApiRequest;
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
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Upstream-scoped isolation: a tenant with its own workspace key ({@code tenants[].upstreamKeys}) is sent
 * upstream with that key, every other tenant with the shared one, and no client ever sees either.
 */
class UpstreamKeysTest {
    static final String KEY_A = "sk-mirror-own-a-3333";
    static final String KEY_B = "sk-mirror-shared-b-4444";
    static final String SHARED = "sk-ant-shared-workspace-key-0002";
    static final String A_OWN = "sk-ant-team-a-workspace-key-0003";

    @TempDir
    Path state;
    FakeAnthropic fake;
    MirrorServer mirror;
    final List<HttpResponse<String>> seen = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        if (mirror != null) {
            mirror.close();
        }
        if (fake != null) {
            fake.close();
        }
    }

    HttpResponse<String> message(String key) throws Exception {
        HttpResponse<String> r = Http.send(Http.post(mirror.baseUrl() + "/v1/messages", key, Http.messages("hi", false)));
        seen.add(r);
        return r;
    }

    HttpResponse<String> get(String path, String key) throws Exception {
        HttpResponse<String> r = Http.send(HttpRequest.newBuilder(URI.create(mirror.baseUrl() + path))
                .header("x-api-key", key).header("anthropic-version", "2023-06-01"));
        seen.add(r);
        return r;
    }

    @ParameterizedTest
    @EnumSource(Container.class)
    void eachTenantReachesItsOwnWorkspaceAndNoClientSeesAKey(Container container) throws Exception {
        fake = FakeAnthropic.start().requireApiKey(SHARED).alsoAcceptApiKey(A_OWN);
        MirrorConfig config = MirrorConfig.builder().upstream("primary", fake.baseUrl(), SHARED)
                .tenant("team-a", "plain:" + KEY_A).tenant("team-b", "plain:" + KEY_B)
                .set("tenants[0].upstreamKeys.primary", A_OWN)
                .set("state.dir", state.toString()).build();
        assertThat(config.tenants().get(0).toString()).doesNotContain(A_OWN);
        mirror = MirrorServer.start(container, config);

        assertThat(message(KEY_A).statusCode()).isEqualTo(200);
        assertThat(fake.journal().last().header("x-api-key")).isEqualTo(A_OWN);
        assertThat(message(KEY_B).statusCode()).isEqualTo(200);
        assertThat(fake.journal().last().header("x-api-key")).isEqualTo(SHARED);

        // A's upload lands in A's workspace: Anthropic isolates it, the mirror keeps no record and does not interfere
        AnthropicClient a = AnthropicOkHttpClient.builder().baseUrl(mirror.baseUrl()).apiKey(KEY_A).maxRetries(0).build();
        FileMetadata file = a.files().upload(FileUploadParams.builder()
                .file("a's own workspace".getBytes(StandardCharsets.UTF_8)).build());
        RecordedRequest upload = fake.journal().last();
        assertThat(upload.method()).isEqualTo("POST");
        assertThat(upload.header("x-api-key")).isEqualTo(A_OWN);
        assertThat(mirror.runtime().serviceIfPresent(OwnershipIndex.class).owner(ApiRequest.FILE, file.id())).isNull();
        assertThat(get("/v1/files/" + file.id(), KEY_A).statusCode()).isEqualTo(200);
        // B shares the mirror's workspace; the id has no record there, so it is nobody's
        int before = fake.journal().size();
        assertThat(get("/v1/files/" + file.id(), KEY_B).statusCode()).isEqualTo(404);
        assertThat(fake.journal().size()).isEqualTo(before);

        // an upstream error that echoes the credential it was sent is masked, for either key
        fake.enqueue(Fault.rawStatus(400, "application/json", "{\"type\":\"error\",\"error\":{\"type\":"
                + "\"invalid_request_error\",\"message\":\"bad request for key " + A_OWN + "\"}}"));
        HttpResponse<String> echoA = message(KEY_A);
        assertThat(echoA.statusCode()).isEqualTo(400);
        assertThat(echoA.body()).contains("[REDACTED]");
        fake.enqueue(Fault.rawStatus(400, "application/json", "{\"type\":\"error\",\"error\":{\"type\":"
                + "\"invalid_request_error\",\"message\":\"bad request for key " + SHARED + "\"}}"));
        HttpResponse<String> echoB = message(KEY_B);
        assertThat(echoB.statusCode()).isEqualTo(400);
        assertThat(echoB.body()).contains("[REDACTED]");

        for (HttpResponse<String> r : seen) {
            assertThat(r.body()).doesNotContain(A_OWN).doesNotContain(SHARED);
            for (Map.Entry<String, List<String>> h : r.headers().map().entrySet()) {
                assertThat(String.join(",", h.getValue())).doesNotContain(A_OWN).doesNotContain(SHARED);
            }
        }
    }
}
