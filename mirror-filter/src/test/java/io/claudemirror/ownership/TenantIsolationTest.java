package io.claudemirror.ownership;

import static org.assertj.core.api.Assertions.assertThat;

import com.anthropic.client.AnthropicClient;
import com.anthropic.client.okhttp.AnthropicOkHttpClient;
import com.anthropic.core.http.StreamResponse;
import com.anthropic.models.files.FileMetadata;
import com.anthropic.models.files.FileUploadParams;
import com.anthropic.models.messages.batches.BatchCreateParams;
import com.anthropic.models.messages.batches.MessageBatch;
import com.anthropic.models.messages.batches.MessageBatchIndividualResponse;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.claudemirror.config.MirrorConfig;
import io.claudemirror.config.MirrorConfigBuilder;
import io.claudemirror.exchange.ApiRequest;
import io.claudemirror.support.Http;
import io.claudemirror.support.MirrorServer;
import io.claudemirror.support.MirrorServer.Container;
import io.claudemirror.testkit.FakeAnthropic;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Issue 8's acceptance, on both containers: two tenants share the mirror's upstream credential; tenant B can
 * neither see nor touch nor reference tenant A's file and batch, and none of B's attempts reaches the upstream,
 * also after a restart on the same state.dir.
 */
class TenantIsolationTest {
    static final String KEY_A = "sk-mirror-tenant-a-1111";
    static final String KEY_B = "sk-mirror-tenant-b-2222";
    static final String SHARED = "sk-ant-shared-workspace-key-0001";
    static final String MODEL = "claude-sonnet-4-5-20250929";
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path state;
    @TempDir
    Path audit;
    FakeAnthropic fake;
    MirrorServer mirror;

    MirrorConfig config() {
        return builder().build();
    }

    MirrorConfigBuilder builder() {
        return MirrorConfig.builder().upstream("primary", fake.baseUrl(), SHARED)
                .tenant("team-a", "plain:" + KEY_A).tenant("team-b", "plain:" + KEY_B)
                .set("state.dir", state.toString()).set("audit.dir", audit.toString());
    }

    void start(Container container) throws Exception {
        fake = FakeAnthropic.start().requireApiKey(SHARED);
        mirror = MirrorServer.start(container, config());
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

    AnthropicClient client(String key) {
        return AnthropicOkHttpClient.builder().baseUrl(mirror.baseUrl()).apiKey(key).maxRetries(0).build();
    }

    /** A's file and batch, created through the official SDK. */
    record Owned(String fileId, String batchId) {
    }

    Owned createAsA() {
        AnthropicClient a = client(KEY_A);
        FileMetadata file = a.files().upload(FileUploadParams.builder()
                .file("tenant a's private notes".getBytes(StandardCharsets.UTF_8)).build());
        MessageBatch batch = a.messages().batches().create(BatchCreateParams.builder()
                .addRequest(BatchCreateParams.Request.builder().customId("a-1")
                        .params(BatchCreateParams.Request.Params.builder().model(MODEL).maxTokens(64)
                                .addUserMessage("tenant a's batched question").build())
                        .build())
                .build());
        return new Owned(file.id(), batch.id());
    }

    HttpResponse<String> send(String method, String path, String key, String body) throws Exception {
        HttpRequest.Builder r = HttpRequest.newBuilder(URI.create(mirror.baseUrl() + path)).timeout(Duration.ofSeconds(30))
                .header("x-api-key", key).header("anthropic-version", "2023-06-01")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            r.header("content-type", "application/json");
        }
        return Http.send(r);
    }

    /** Exactly the envelope Anthropic sends for an id it does not know. */
    static void assertNotFound(HttpResponse<String> r) throws Exception {
        assertThat(r.statusCode()).as(r.request().method() + " " + r.request().uri()).isEqualTo(404);
        assertThat(r.headers().firstValue("content-type").orElseThrow()).startsWith("application/json");
        JsonNode body = JSON.readTree(r.body());
        assertThat(body.path("type").asText()).isEqualTo("error");
        assertThat(body.path("error").path("type").asText()).isEqualTo("not_found_error");
        assertThat(body.path("error").path("message").asText()).isNotEmpty();
        assertThat(body.path("request_id").asText()).startsWith("req_")
                .isEqualTo(r.headers().firstValue("request-id").orElseThrow());
        assertThat(body.size()).isEqualTo(3);
    }

    static String messageReferencing(String fileId) {
        return "{\"model\":\"" + MODEL + "\",\"max_tokens\":64,\"messages\":[{\"role\":\"user\",\"content\":["
                + "{\"type\":\"document\",\"source\":{\"type\":\"file\",\"file_id\":\"" + fileId + "\"}},"
                + "{\"type\":\"text\",\"text\":\"summarise\"}]}]}";
    }

    /** Everything B tries with A's ids: each 404, none reaches the upstream. */
    void bIsRefusedEverywhere(Owned a) throws Exception {
        int before = fake.journal().size();
        String f = a.fileId();
        String b = a.batchId();
        assertNotFound(send("GET", "/v1/files/" + f, KEY_B, null));
        assertNotFound(send("GET", "/v1/files/" + f + "/content", KEY_B, null));
        assertNotFound(send("DELETE", "/v1/files/" + f, KEY_B, null));
        assertNotFound(send("GET", "/v1/messages/batches/" + b, KEY_B, null));
        assertNotFound(send("POST", "/v1/messages/batches/" + b + "/cancel", KEY_B, null));
        assertNotFound(send("GET", "/v1/messages/batches/" + b + "/results", KEY_B, null));
        assertNotFound(send("DELETE", "/v1/messages/batches/" + b, KEY_B, null));
        // a method the API does not have still names the id
        assertNotFound(send("PUT", "/v1/files/" + f, KEY_B, null));
        // referencing A's file in a prompt, a token count or a batch
        assertNotFound(send("POST", "/v1/messages", KEY_B, messageReferencing(f)));
        assertNotFound(send("POST", "/v1/messages/count_tokens", KEY_B, messageReferencing(f)));
        assertNotFound(send("POST", "/v1/messages/batches", KEY_B, "{\"requests\":[{\"custom_id\":\"x\",\"params\":"
                + messageReferencing(f) + "}]}"));
        // the same id, spelled with a JSON escape
        assertNotFound(send("POST", "/v1/messages", KEY_B, messageReferencing(f).replace("file_id", "file\\u005fid")));
        // the same reference in a gzip-compressed body
        java.io.ByteArrayOutputStream zipped = new java.io.ByteArrayOutputStream();
        try (java.util.zip.GZIPOutputStream z = new java.util.zip.GZIPOutputStream(zipped)) {
            z.write(messageReferencing(f).getBytes(StandardCharsets.UTF_8));
        }
        assertNotFound(Http.send(HttpRequest.newBuilder(URI.create(mirror.baseUrl() + "/v1/messages"))
                .header("x-api-key", KEY_B).header("anthropic-version", "2023-06-01")
                .header("content-type", "application/json").header("content-encoding", "gzip")
                .POST(HttpRequest.BodyPublishers.ofByteArray(zipped.toByteArray()))));
        // a lower-case method and a dotted path spelling of the same request
        assertNotFound(send("post", "/v1/./messages", KEY_B, messageReferencing(f)));
        // the reference inside a member the mirror itself reads (max_tokens as an object is the upstream's to refuse)
        assertNotFound(send("POST", "/v1/messages", KEY_B, messageReferencing(f)
                .replace("\"max_tokens\":64", "\"max_tokens\":{\"file_id\":\"" + f + "\"}")));
        // two file_id members in one object (readers disagree on which counts): refused outright
        HttpResponse<String> twice = send("POST", "/v1/messages", KEY_B, messageReferencing(f)
                .replace("\"file_id\":", "\"file_id\":\"file_mine\",\"file_id\":"));
        assertThat(twice.statusCode()).isEqualTo(400);
        assertThat(twice.body()).contains("invalid_request_error").doesNotContain(f);
        // cursors naming A's ids
        assertNotFound(send("GET", "/v1/files?after_id=" + f, KEY_B, null));
        assertNotFound(send("GET", "/v1/messages/batches?before_id=" + b, KEY_B, null));
        assertThat(fake.journal().size()).as("B's attempts reached the upstream").isEqualTo(before);

        // B's lists (which do go upstream) never show A's ids
        for (String list : List.of("/v1/files", "/v1/files?limit=1000", "/v1/messages/batches")) {
            HttpResponse<String> page = send("GET", list, KEY_B, null);
            assertThat(page.statusCode()).isEqualTo(200);
            assertThat(page.body()).doesNotContain(f).doesNotContain(b);
            assertThat(JSON.readTree(page.body()).path("data").size()).isZero();
        }
        assertThat(client(KEY_B).files().list().data()).isEmpty();
        assertThat(client(KEY_B).messages().batches().list().data()).isEmpty();
    }

    /** A still sees and uses both. */
    void aStillHasBoth(Owned a) throws Exception {
        AnthropicClient client = client(KEY_A);
        assertThat(client.files().retrieveMetadata(a.fileId()).id()).isEqualTo(a.fileId());
        assertThat(client.files().list().data()).extracting(FileMetadata::id).containsExactly(a.fileId());
        assertThat(client.messages().batches().retrieve(a.batchId()).resultsUrl().orElseThrow())
                .startsWith(mirror.baseUrl());
        assertThat(client.messages().batches().list().data()).extracting(MessageBatch::id).containsExactly(a.batchId());
        try (StreamResponse<MessageBatchIndividualResponse> rs = client.messages().batches().resultsStreaming(a.batchId())) {
            assertThat(rs.stream().map(MessageBatchIndividualResponse::customId).collect(Collectors.toList()))
                    .containsExactly("a-1");
        }
        HttpResponse<String> content = send("GET", "/v1/files/" + a.fileId() + "/content", KEY_A, null);
        assertThat(content.statusCode()).isEqualTo(200);
        assertThat(content.body()).isEqualTo("tenant a's private notes");
        HttpResponse<String> message = send("POST", "/v1/messages", KEY_A, messageReferencing(a.fileId()));
        assertThat(message.statusCode()).isEqualTo(200);
        assertThat(fake.journal().last().bodyText()).contains(a.fileId());
    }

    @ParameterizedTest
    @EnumSource(Container.class)
    void anotherTenantCannotSeeTouchOrReferenceAFileOrBatch(Container container) throws Exception {
        start(container);
        Owned a = createAsA();
        bIsRefusedEverywhere(a);
        aStillHasBoth(a);

        // the audit record names the id B asked for
        assertThat(awaitAuditLine("\"resourceId\":\"" + a.fileId() + "\"", "\"tenant\":\"team-b\"", "\"status\":404"))
                .isTrue();

        // A deletes its file: the record goes with it, and the id is nobody's any more
        assertThat(client(KEY_A).files().delete(a.fileId()).id()).isEqualTo(a.fileId());
        OwnershipIndex index = mirror.runtime().serviceIfPresent(OwnershipIndex.class);
        assertThat(index.owner(ApiRequest.FILE, a.fileId())).isNull();
        assertThat(index.owner(ApiRequest.BATCH, a.batchId())).isEqualTo("team-a");
    }

    @ParameterizedTest
    @EnumSource(Container.class)
    void ownershipSurvivesARestartOnTheSameStateDir(Container container) throws Exception {
        start(container);
        Owned a = createAsA();
        mirror.close(); // the context is destroyed: the runtime and its index are closed
        mirror = MirrorServer.start(container, config());
        bIsRefusedEverywhere(a);
        aStillHasBoth(a);
    }

    /**
     * Odd spellings of B's request line. With the lead's front door these are normalised before any filter; the
     * ownership filter parses the line itself meanwhile, so they are refused already.
     */
    @ParameterizedTest
    @EnumSource(Container.class)
    void oddSpellingsOfAnotherTenantsIdAreRefusedToo(Container container) throws Exception {
        start(container);
        Owned a = createAsA();
        int before = fake.journal().size();
        assertNotFound(send("get", "/v1/files/" + a.fileId(), KEY_B, null));
        assertNotFound(send("GET", "/v1/files/./" + a.fileId(), KEY_B, null));
        assertNotFound(send("GET", "/v1/files/" + a.fileId() + "/", KEY_B, null));
        assertNotFound(send("GET", "/v1/files/" + a.fileId() + ";x=1/content", KEY_B, null));
        assertNotFound(send("GET", "/v1/messages/batches/%6d" + a.batchId().substring(1) + "/results", KEY_B, null));
        assertThat(fake.journal().size()).isEqualTo(before);
    }

    boolean awaitAuditLine(String... parts) throws Exception {
        Path file = audit.resolve("audit-" + LocalDate.now(ZoneOffset.UTC) + ".jsonl");
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        do {
            if (Files.exists(file)) {
                for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                    if (List.of(parts).stream().allMatch(line::contains)) {
                        return true;
                    }
                }
            }
            Thread.sleep(20); // the audit writer is asynchronous; no event to wait on from outside
        } while (System.nanoTime() < deadline);
        return false;
    }
}
