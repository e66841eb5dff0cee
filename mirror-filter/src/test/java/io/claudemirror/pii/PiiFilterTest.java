package io.claudemirror.pii;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.claudemirror.MirrorRuntime;
import io.claudemirror.auth.AuthFilter;
import io.claudemirror.config.MirrorConfig;
import io.claudemirror.config.MirrorConfigBuilder;
import io.claudemirror.exchange.Exchange;
import io.claudemirror.support.Http;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The filter on its own (auth in front, a recording servlet behind instead of the proxy): findings on the
 * Exchange, modes per tenant, which requests it scans, and failing closed.
 */
class PiiFilterTest {
    static final String KEY = "sk-a";
    static final String OTHER_KEY = "sk-b";
    Server server;
    String base;
    final AtomicReference<Exchange> seen = new AtomicReference<>();
    final AtomicReference<byte[]> forwarded = new AtomicReference<>();

    void start(MirrorConfigBuilder config, PiiScanner scanner) throws Exception {
        MirrorRuntime runtime = new MirrorRuntime(config.set("mountPath", "/claude").upstream("primary", "http://127.0.0.1:9", "sk-up")
                .tenant("a", "plain:" + KEY).tenant("b", "plain:" + OTHER_KEY).build());
        server = new Server();
        ServerConnector connector = new ServerConnector(server);
        connector.setHost("127.0.0.1");
        server.addConnector(connector);
        ServletContextHandler context = new ServletContextHandler("/app");
        context.addFilter(new FilterHolder(new AuthFilter(runtime)), "/claude/v1/*", EnumSet.of(DispatcherType.REQUEST));
        context.addFilter(new FilterHolder(scanner == null ? new PiiFilter(runtime) : new PiiFilter(runtime, scanner)),
                "/claude/v1/*", EnumSet.of(DispatcherType.REQUEST));
        context.addServlet(new ServletHolder(new HttpServlet() {
            @Override
            protected void service(HttpServletRequest req, HttpServletResponse resp) {
                Exchange ex = Exchange.get(req);
                seen.set(ex);
                forwarded.set(ex.hasBody() ? Arrays.copyOf(ex.body(), ex.bodyLength()) : null);
                resp.setStatus(204);
            }
        }), "/claude/v1/*");
        server.setHandler(context);
        server.start();
        base = "http://127.0.0.1:" + connector.getLocalPort() + "/app/claude";
    }

    @AfterEach
    void stop() throws Exception {
        server.stop();
    }

    HttpResponse<String> post(String path, String key, String body) throws Exception {
        seen.set(null);
        forwarded.set(null);
        return Http.send(Http.post(base + path, key, body));
    }

    static String message(String text) {
        return "{\"model\":\"claude\",\"messages\":[{\"role\":\"user\",\"content\":\"" + text + "\"}]}";
    }

    @Test
    void findingsAreCountedByTypeAndDetectChangesNothing() throws Exception {
        start(MirrorConfig.builder().set("pii.mode", "detect"), null);
        String body = message("13800138000, 13900139000 and a@example.com");
        assertThat(post("/v1/messages", KEY, body).statusCode()).isEqualTo(204);
        assertThat(seen.get().piiFindings()).isEqualTo(Map.of("cn_mobile", 2, "email", 1));
        assertThat(forwarded.get()).isEqualTo(body.getBytes(StandardCharsets.UTF_8));
        assertThat(seen.get().transformer()).isNull();
    }

    @Test
    void aTenantsModeOverridesTheGlobalOne() throws Exception {
        start(MirrorConfig.builder().set("pii.mode", "off").set("tenants[1].pii", "block"), null);
        String body = message("call 13800138000");
        assertThat(post("/v1/messages", KEY, body).statusCode()).isEqualTo(204);
        assertThat(seen.get().piiFindings()).isEmpty();
        HttpResponse<String> r = post("/v1/messages", OTHER_KEY, body);
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(r.body()).contains("invalid_request_error").contains("cn_mobile").doesNotContain("13800138000");
        assertThat(seen.get()).isNull();
    }

    @Test
    void onlyMessagesCountTokensAndBatchCreationPostsAreScanned() throws Exception {
        start(MirrorConfig.builder().set("pii.mode", "mask"), null);
        String body = message("call 13800138000");
        for (String path : new String[] {"/v1/messages?beta=true", "/v1/messages/count_tokens", "/v1/messages/"}) {
            post(path, KEY, body);
            assertThat(new String(forwarded.get(), StandardCharsets.UTF_8)).as(path).contains("call [PHONE]");
        }
        String batch = batch("call 13800138000");
        for (String path : new String[] {"/v1/messages/batches", "/v1/messages/batches?beta=true", "/v1/messages/batches/"}) {
            post(path, KEY, batch);
            assertThat(new String(forwarded.get(), StandardCharsets.UTF_8)).as(path).contains("call [PHONE]");
        }
        // Issue 7: a JSON body anywhere else is of a shape the mirror does not know, so every string is scanned
        // (masked, since its answer cannot be restored) — whatever the method or path spelling.
        for (String path : new String[] {"/v1/models", "/v1/messagesx", "/v1/messages/batches/msgbatch_1",
                "/v1/messages/batches/msgbatch_1/cancel", "/v1/messages/batchesx", "/v1/./messagesx",
                "/v1/x/../messages/batches/msgbatch_1"}) {
            post(path, KEY, body);
            assertThat(new String(forwarded.get(), StandardCharsets.UTF_8)).as(path).contains("call [PHONE]");
            assertThat(seen.get().piiFindings()).as(path).isEqualTo(Map.of("cn_mobile", 1));
        }
        HttpResponse<String> put = Http.send(HttpRequest.newBuilder(URI.create(base + "/v1/messages"))
                .header("x-api-key", KEY).method("PUT", HttpRequest.BodyPublishers.ofString(body)));
        assertThat(put.statusCode()).isEqualTo(204);
        assertThat(new String(forwarded.get(), StandardCharsets.UTF_8)).contains("call [PHONE]");
        // A multipart upload is the file itself: not scanned (docs/pii.md).
        post("/v1/files", KEY, body);
        assertThat(seen.get().piiFindings()).isEmpty();
    }

    @Test
    void aNonJsonBodyToAnUnknownEndpointIsRefusedUnlessTheModeOnlyDetects() throws Exception {
        start(MirrorConfig.builder().set("pii.mode", "mask").set("tenants[1].pii", "detect"), null);
        HttpResponse<String> r = postText("/v1/something/new", KEY, "call 13800138000");
        assertThat(r.statusCode()).isEqualTo(415);
        assertThat(r.body()).contains("invalid_request_error").doesNotContain("13800138000");
        assertThat(seen.get()).isNull();
        assertThat(postText("/v1/something/new", OTHER_KEY, "call 13800138000").statusCode()).isEqualTo(204);
        // Claiming JSON without being JSON is refused by the front door whatever the mode.
        assertThat(post("/v1/something/new", OTHER_KEY, "call 13800138000").statusCode()).isEqualTo(400);
    }

    HttpResponse<String> postText(String path, String key, String body) throws Exception {
        seen.set(null);
        forwarded.set(null);
        return Http.send(HttpRequest.newBuilder(URI.create(base + path)).header("x-api-key", key)
                .header("content-type", "text/plain").POST(HttpRequest.BodyPublishers.ofString(body)));
    }

    @Test
    void aModelFieldCarryingPersonalDataIsRefusedAndNeverRecorded() throws Exception {
        start(MirrorConfig.builder().set("pii.mode", "redact"), null);
        HttpResponse<String> r = post("/v1/messages", KEY, "{\"model\":\"claude-13800138000\",\"messages\":[]}");
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(r.body()).doesNotContain("13800138000");
        assertThat(seen.get()).isNull();
    }

    static byte[] deflate(byte[] plain) throws java.io.IOException {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        try (java.util.zip.DeflaterOutputStream z = new java.util.zip.DeflaterOutputStream(out)) {
            z.write(plain);
        }
        return out.toByteArray();
    }

    static String batch(String text) {
        return "{\"requests\":[{\"custom_id\":\"c-1\",\"params\":" + message(text) + "}]}";
    }

    @Test
    void aBatchIsMaskedInRedactModeCountedAndBlocked() throws Exception {
        start(MirrorConfig.builder().set("pii.mode", "redact").set("tenants[1].pii", "block"), null);
        String body = batch("call 13800138000 or a@example.com");
        assertThat(post("/v1/messages/batches", KEY, body).statusCode()).isEqualTo(204);
        assertThat(new String(forwarded.get(), StandardCharsets.UTF_8))
                .isEqualTo(body.replace("13800138000", "[PHONE]").replace("a@example.com", "[EMAIL]"));
        assertThat(seen.get().piiFindings()).isEqualTo(Map.of("cn_mobile", 1, "email", 1));
        assertThat(seen.get().transformer()).as("a batch's results are fetched by other requests").isNull();
        HttpResponse<String> r = post("/v1/messages/batches", OTHER_KEY, body);
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(r.body()).contains("invalid_request_error").contains("cn_mobile").contains("email")
                .doesNotContain("13800138000");
        assertThat(seen.get()).isNull();
        assertThat(post("/v1/messages/batches", OTHER_KEY, batch("nothing here")).statusCode()).isEqualTo(204);
        assertThat(post("/v1/messages/batches", KEY, "{\"requests\":[").statusCode()).isEqualTo(400);
    }

    @Test
    void redactInstallsARestorerOnlyWhenSomethingWasReplaced() throws Exception {
        start(MirrorConfig.builder().set("pii.mode", "redact"), null);
        post("/v1/messages", KEY, message("nothing here"));
        assertThat(seen.get().transformer()).isNull();
        post("/v1/messages", KEY, message("call 13800138000"));
        assertThat(seen.get().transformer()).isNotNull();
        assertThat(new String(forwarded.get(), StandardCharsets.UTF_8)).matches(".*call \\[PHONE_[a-z2-9]{10}].*");
        post("/v1/messages/count_tokens", KEY, message("call 13800138000"));
        assertThat(seen.get().transformer()).as("count_tokens answers carry no text").isNull();
    }

    @Test
    void aFailingDetectorRejectsTheRequestInsteadOfForwardingIt() throws Exception {
        PiiDetector broken = new PiiDetector() {
            @Override
            public String type() {
                return "broken";
            }

            @Override
            public String label() {
                return "BROKEN";
            }

            @Override
            public void find(CharSequence text, PiiMatches matches) {
                throw new IllegalStateException("cannot read " + text);
            }
        };
        start(MirrorConfig.builder().set("pii.mode", "detect"), PiiScanner.builder().add(broken).build());
        HttpResponse<String> r = post("/v1/messages", KEY, message("hello"));
        assertThat(r.statusCode()).isEqualTo(500);
        JsonNode error = Sse.JSON.readTree(r.body());
        assertThat(error.at("/error/type").asText()).isEqualTo("api_error");
        assertThat(r.body()).doesNotContain("hello");
        assertThat(seen.get()).isNull();
    }

    @Test
    void malformedJsonIsRejectedAndTooLargeBodiesAre413() throws Exception {
        start(MirrorConfig.builder().set("pii.mode", "redact").set("maxRequestBytes", "1KB"), null);
        HttpResponse<String> bad = post("/v1/messages", KEY, "{\"messages\":[{\"content\":\"13800138000\"");
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(bad.body()).contains("invalid_request_error");
        assertThat(post("/v1/messages", KEY, message("x".repeat(2000))).statusCode()).isEqualTo(413);
        assertThat(seen.get()).isNull();
    }

    static byte[] gzip(byte[] b) throws java.io.IOException {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        try (java.util.zip.GZIPOutputStream z = new java.util.zip.GZIPOutputStream(out)) {
            z.write(b);
        }
        return out.toByteArray();
    }

    static byte[] gunzip(byte[] b) throws java.io.IOException {
        try (java.util.zip.GZIPInputStream in = new java.util.zip.GZIPInputStream(new java.io.ByteArrayInputStream(b))) {
            return in.readAllBytes();
        }
    }

    HttpResponse<String> postEncoded(String encoding, byte[] body) throws Exception {
        seen.set(null);
        forwarded.set(null);
        return Http.send(HttpRequest.newBuilder(URI.create(base + "/v1/messages")).header("x-api-key", KEY)
                .header("content-type", "application/json").header("content-encoding", encoding)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)));
    }

    @Test
    void compressedBodiesAreDecodedOnceScannedAndForwardedDecodedWhenEdited() throws Exception {
        start(MirrorConfig.builder().set("pii.mode", "mask").set("maxRequestBytes", "64KB"), null);
        byte[] clean = gzip(message("nothing to see").getBytes(StandardCharsets.UTF_8));
        assertThat(postEncoded("gzip", clean).statusCode()).isEqualTo(204);
        assertThat(forwarded.get()).isEqualTo(message("nothing to see").getBytes(StandardCharsets.UTF_8));
        assertThat(seen.get().contentEncoding()).isEqualTo("gzip");

        assertThat(postEncoded("gzip", gzip(message("call 13800138000").getBytes(StandardCharsets.UTF_8))).statusCode())
                .isEqualTo(204);
        assertThat(new String(forwarded.get(), StandardCharsets.UTF_8)).isEqualTo(message("call [PHONE]"));
        assertThat(seen.get().bodyEdited()).isTrue();
        assertThat(seen.get().piiFindings()).containsEntry("cn_mobile", 1);
        assertThat(postEncoded("deflate", deflate(message("call 13800138000").getBytes(StandardCharsets.UTF_8)))
                .statusCode()).isEqualTo(204);
        assertThat(new String(forwarded.get(), StandardCharsets.UTF_8)).isEqualTo(message("call [PHONE]"));

        assertThat(postEncoded("br", new byte[] {1, 2, 3}).statusCode()).isEqualTo(415);
        assertThat(postEncoded("gzip", new byte[] {1, 2, 3}).statusCode()).isEqualTo(400);
        byte[] bomb = gzip(message("x".repeat(200_000)).getBytes(StandardCharsets.UTF_8));
        assertThat(bomb.length).isLessThan(64 * 1024);
        assertThat(postEncoded("gzip", bomb).statusCode()).isEqualTo(413);
        assertThat(seen.get()).isNull();
    }

    @Test
    void aScannerInTheServletContextIsUsed() throws Exception {
        PiiDetector words = new PiiDetector() {
            @Override
            public String type() {
                return "codename";
            }

            @Override
            public String label() {
                return "CODENAME";
            }

            @Override
            public void find(CharSequence text, PiiMatches matches) {
                int i = text.toString().indexOf("Bluebird");
                if (i >= 0) {
                    matches.add(i, i + 8);
                }
            }
        };
        MirrorRuntime runtime = new MirrorRuntime(MirrorConfig.builder().upstream("primary", "http://127.0.0.1:9", "k")
                .tenant("a", "plain:" + KEY).set("pii.mode", "mask").build());
        server = new Server();
        ServerConnector connector = new ServerConnector(server);
        server.addConnector(connector);
        ServletContextHandler context = new ServletContextHandler("/");
        context.setAttribute(PiiScanner.ATTRIBUTE, PiiScanner.builder().add(words).build());
        context.addFilter(new FilterHolder(new PiiFilter(runtime)), "/v1/*", EnumSet.of(DispatcherType.REQUEST));
        context.addServlet(new ServletHolder(new HttpServlet() {
            @Override
            protected void service(HttpServletRequest req, HttpServletResponse resp) {
                Exchange ex = Exchange.get(req);
                forwarded.set(Arrays.copyOf(ex.body(), ex.bodyLength()));
                resp.setStatus(204);
            }
        }), "/v1/*");
        server.setHandler(context);
        server.start();
        Http.send(Http.post("http://127.0.0.1:" + connector.getLocalPort() + "/v1/messages", KEY,
                message("Project Bluebird, 13800138000")));
        assertThat(new String(forwarded.get(), StandardCharsets.UTF_8)).contains("Project [CODENAME], [PHONE]");
    }
}
