package io.claudemirror.frontdoor;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.claudemirror.config.MirrorConfig;
import io.claudemirror.config.MirrorConfigBuilder;
import io.claudemirror.support.MirrorServer;
import io.claudemirror.support.MirrorServer.Container;
import io.claudemirror.testkit.RawHttp;
import io.claudemirror.testkit.FakeAnthropic;
import io.claudemirror.testkit.Fault;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The probes of issue 7 that are not a matter of spelling (those are {@link SpellingsTest}), each as a test on
 * both containers: what the client gets and what reached the upstream.
 */
class ProbesTest {
    static final ObjectMapper JSON = new ObjectMapper();
    FakeAnthropic fake;
    MirrorServer mirror;
    final List<Socket> sockets = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        for (Socket s : sockets) {
            s.close();
        }
        if (mirror != null) {
            mirror.close();
        }
        if (fake != null) {
            fake.close();
        }
    }

    MirrorConfigBuilder config() {
        fake = FakeAnthropic.start();
        return MirrorConfig.builder().upstream("primary", fake.baseUrl(), "sk-up").set("audit.dir", "");
    }

    static byte[] body(String model, int maxTokens, String text) {
        return ("{\"model\":\"" + model + "\",\"max_tokens\":" + maxTokens + ",\"messages\":[{\"role\":\"user\","
                + "\"content\":\"" + text + "\"}]}").getBytes(StandardCharsets.UTF_8);
    }

    static byte[] gzip(byte[] plain) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream z = new GZIPOutputStream(out)) {
            z.write(plain);
        }
        return out.toByteArray();
    }

    RawHttp.Response post(String key, byte[] body, String... extra) throws Exception {
        String[] headers = new String[extra.length + 3];
        headers[0] = "x-api-key: " + key;
        headers[1] = "anthropic-version: 2023-06-01";
        headers[2] = "content-type: application/json";
        System.arraycopy(extra, 0, headers, 3, extra.length);
        return RawHttp.send(mirror.port(), "POST", "/v1/messages", body, headers);
    }

    /** Probe 3: the facts of a compressed body are read from the decoded bytes. */
    @ParameterizedTest
    @EnumSource(Container.class)
    void aCompressedBodyIsJudgedByWhatItSays(Container container) throws Exception {
        mirror = MirrorServer.start(container, config()
                .tenant("t", "plain:k").set("tenants[0].models", List.of("claude-3-5-haiku-*"))
                .set("tenants[0].limits.outputTokensPerMinute", 100).build());
        for (String encoding : List.of("gzip", "deflate")) {
            byte[] opus = body("claude-opus-4-1", 50, "hi");
            byte[] small = body("claude-3-5-haiku-latest", 50, "hi");
            byte[] zOpus = "gzip".equals(encoding) ? gzip(opus) : deflate(opus);
            byte[] zSmall = "gzip".equals(encoding) ? gzip(small) : deflate(small);
            assertThat(post("k", zOpus, "content-encoding: " + encoding).status()).as(encoding).isEqualTo(403);
            RawHttp.Response ok = post("k", zSmall, "content-encoding: " + encoding);
            assertThat(ok.status()).as("max_tokens 50 is read, not 4096 assumed: " + encoding).isEqualTo(200);
            // It leaves decoded: exactly the bytes the policies read, without a Content-Encoding.
            assertThat(fake.journal().last().body()).isEqualTo(small);
            assertThat(fake.journal().last().header("content-encoding")).isNull();
        }
        assertThat(fake.journal().size()).isEqualTo(2);
        assertThat(post("k", new byte[] {1, 2, 3}, "content-encoding: br").status()).isEqualTo(415);
    }

    static byte[] deflate(byte[] plain) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (java.util.zip.DeflaterOutputStream z = new java.util.zip.DeflaterOutputStream(out)) {
            z.write(plain);
        }
        return out.toByteArray();
    }

    /** Probe 4: a duplicate key is refused, at any depth, before any policy could read the wrong one. */
    @ParameterizedTest
    @EnumSource(Container.class)
    void duplicateKeysAreRefused(Container container) throws Exception {
        mirror = MirrorServer.start(container, config()
                .tenant("t", "plain:k").set("tenants[0].models", List.of("claude-3-5-haiku-*")).build());
        String twice = "{\"model\":\"claude-opus-4-1\",\"model\":\"claude-3-5-haiku-latest\",\"max_tokens\":5,"
                + "\"messages\":[]}";
        RawHttp.Response r = post("k", twice.getBytes(StandardCharsets.UTF_8));
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.body()).contains("invalid_request_error").contains("duplicate key");
        String nested = "{\"model\":\"claude-3-5-haiku-latest\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\","
                + "\"content\":\"a\",\"content\":\"b\"}]}";
        assertThat(post("k", nested.getBytes(StandardCharsets.UTF_8)).status()).isEqualTo(400);
        String notString = "{\"model\":[\"claude-opus-4-1\"],\"max_tokens\":5,\"messages\":[]}";
        assertThat(post("k", notString.getBytes(StandardCharsets.UTF_8)).status()).isEqualTo(400);
        assertThat(fake.journal().size()).isZero();
    }

    /** Probe 6: a client that stalls while sending its body gets 408, and heap follows bytes received. */
    @ParameterizedTest
    @EnumSource(Container.class)
    void aStalledUploadGets408AndHoldsNoDeclaredMemory(Container container) throws Exception {
        mirror = MirrorServer.start(container, config().tenant("t", "plain:k").set("timeouts.bodyRead", "1s").build());
        Runtime rt = Runtime.getRuntime();
        System.gc();
        long before = rt.totalMemory() - rt.freeMemory();
        for (int i = 0; i < 6; i++) {
            Socket s = new Socket("127.0.0.1", mirror.port());
            s.setSoTimeout(15_000);
            sockets.add(s);
            s.getOutputStream().write(("POST /v1/messages HTTP/1.1\r\nHost: x\r\nx-api-key: k\r\ncontent-type: "
                    + "application/json\r\ncontent-length: 33554432\r\n\r\n{").getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
        }
        Thread.sleep(300); // let every connection reach the body read (this is setup, not what is measured)
        System.gc();
        long during = rt.totalMemory() - rt.freeMemory();
        assertThat(during - before).as("six 32 MB declarations hold far less than 192 MB").isLessThan(48L << 20);
        for (Socket s : sockets) {
            // Keep dripping a byte: a per-read timeout alone would never fire.
            OutputStream out = s.getOutputStream();
            long end = System.nanoTime() + 3_000_000_000L;
            RawHttp.Response r = null;
            while (System.nanoTime() < end) {
                try {
                    out.write(' ');
                    out.flush();
                } catch (java.io.IOException closed) {
                    break;
                }
                if (s.getInputStream().available() > 0) {
                    break;
                }
                Thread.sleep(100);
            }
            String head = new String(s.getInputStream().readNBytes(12), StandardCharsets.US_ASCII);
            assertThat(head).isEqualTo("HTTP/1.1 408");
        }
        assertThat(fake.journal().size()).isZero();
    }

    /** Probe 7: slow uploads take no QoS slot: another tenant is served while they dawdle. */
    @ParameterizedTest
    @EnumSource(Container.class)
    void slowUploadsTakeNoSlot(Container container) throws Exception {
        mirror = MirrorServer.start(container, config().tenant("slow", "plain:k-slow").tenant("fast", "plain:k-fast")
                .set("qos.maxInFlight", 2).set("qos.maxQueueWait", "2s").set("timeouts.bodyRead", "20s").build());
        for (int i = 0; i < 2; i++) {
            Socket s = new Socket("127.0.0.1", mirror.port());
            sockets.add(s);
            s.getOutputStream().write(("POST /v1/messages HTTP/1.1\r\nHost: x\r\nx-api-key: k-slow\r\ncontent-type: "
                    + "application/json\r\ncontent-length: 1000\r\n\r\n{\"mod").getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
        }
        Thread.sleep(300);
        RawHttp.Response r = post("k-fast", body("claude-3-5-haiku-latest", 5, "hi"));
        assertThat(r.status()).isEqualTo(200);
    }

    /** Probe 8: a small gzip that inflates enormously is refused without inflating it all. */
    @ParameterizedTest
    @EnumSource(Container.class)
    void aDecompressionBombIsRefused(Container container) throws Exception {
        mirror = MirrorServer.start(container, config().tenant("t", "plain:k").set("pii.mode", "redact").build());
        String dense = "13800138000 a@b.cn 6222021234567890128 ".repeat(1_000_000);
        byte[] bomb = gzip(body("claude-3-5-haiku-latest", 5, dense));
        assertThat(bomb.length).isLessThan(200_000);
        RawHttp.Response r = post("k", bomb, "content-encoding: gzip");
        assertThat(r.status()).isEqualTo(413);
        assertThat(r.body()).contains("request_too_large");
        assertThat(fake.journal().size()).isZero();
    }

    /** Probe 9: /health says only up or down to strangers; results_url comes from the configured base, never Host. */
    @ParameterizedTest
    @EnumSource(Container.class)
    void outOfBandFactsStayWithTheOperator(Container container) throws Exception {
        mirror = MirrorServer.start(container, config().tenant("t", "plain:k").set("admin.keys", List.of("plain:adm"))
                .set("publicBaseUrl", "https://ai.example.com/claude").build());
        RawHttp.Response health = RawHttp.send(mirror.port(), "GET", "/health", null);
        assertThat(health.status()).isEqualTo(200);
        assertThat(JSON.readTree(health.body()).size()).as(health.body()).isEqualTo(1);
        assertThat(health.body()).isEqualTo("{\"status\":\"ok\"}");
        RawHttp.Response details = RawHttp.send(mirror.port(), "GET", "/health", null, "x-api-key: adm");
        assertThat(details.body()).contains("\"upstreams\"").contains("primary");

        String batch = "{\"requests\":[{\"custom_id\":\"a\",\"params\":{\"model\":\"claude-3-5-haiku-latest\","
                + "\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}}]}";
        RawHttp.Response created = RawHttp.send(mirror.port(), "POST", "/v1/messages/batches?x=/results",
                batch.getBytes(StandardCharsets.UTF_8), "Host: attacker.example", "x-api-key: k",
                "content-type: application/json", "anthropic-version: 2023-06-01");
        assertThat(created.status()).isEqualTo(200);
        JsonNode b = JSON.readTree(created.body());
        String id = b.path("id").asText();
        assertThat(b.path("results_url").asText()).isIn("https://ai.example.com/claude/v1/messages/batches/" + id
                + "/results", "");
        assertThat(created.body()).doesNotContain("attacker.example").doesNotContain(fake.baseUrl());
        RawHttp.Response list = RawHttp.send(mirror.port(), "GET", "/v1/messages/batches", null, "x-api-key: k",
                "anthropic-version: 2023-06-01");
        assertThat(list.body()).doesNotContain(fake.baseUrl());
    }

    /** Probe 9, without a configured base: a Host that is not a host name is refused, never echoed. */
    @ParameterizedTest
    @EnumSource(Container.class)
    void anInvalidHostIsNeverWrittenIntoResultsUrl(Container container) throws Exception {
        mirror = MirrorServer.start(container, config().tenant("t", "plain:k").build());
        RawHttp.Response r = RawHttp.send(mirror.port(), "GET", "/v1/messages/batches", null,
                "Host: evil\"x.example", "x-api-key: k");
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.body()).doesNotContain("evil");
    }

    /** Probe 11: a model name must look like one. */
    @ParameterizedTest
    @EnumSource(Container.class)
    void aModelThatIsNotAModelNameIsRefused(Container container) throws Exception {
        mirror = MirrorServer.start(container, config().tenant("t", "plain:k").build());
        for (String model : List.of("zhang.san@example.com", "13800138000", "x".repeat(200), "claude 3")) {
            RawHttp.Response r = post("k", body(model, 5, "hi"));
            assertThat(r.status()).as(model).isEqualTo(400);
            assertThat(r.body()).doesNotContain(model);
        }
        assertThat(fake.journal().size()).isZero();
    }

    /** Probe 13: an upstream's 429 is its quota, not its health; /health does not flip. */
    @ParameterizedTest
    @EnumSource(Container.class)
    void upstreamQuotaDoesNotMarkItDown(Container container) throws Exception {
        mirror = MirrorServer.start(container, config().tenant("t", "plain:k").build());
        for (int i = 0; i < 4; i++) {
            fake.enqueue(Fault.status(429, "rate_limit_error", "slow down"));
            assertThat(post("k", body("claude-3-5-haiku-latest", 5, "hi")).status()).isEqualTo(429);
        }
        RawHttp.Response health = RawHttp.send(mirror.port(), "GET", "/health", null);
        assertThat(health.status()).isEqualTo(200);
        assertThat(health.body()).contains("\"ok\"");
    }
}
