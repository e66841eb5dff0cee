package io.claudemirror.pii;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.claudemirror.config.MirrorConfig;
import io.claudemirror.support.Http;
import io.claudemirror.support.MirrorServer;
import io.claudemirror.support.MirrorServer.Container;
import io.claudemirror.testkit.FakeAnthropic;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The PII filter in the whole mirror, on Jetty and Tomcat, against the fake upstream, which echoes the last user
 * message (as text, or as a tool input {@code {"text": …}} when tools are offered). What the upstream received is
 * read from its journal, byte for byte.
 */
class PiiThroughMirrorTest {
    static final String KEY = "sk-test";
    static final String PHONE = "13800138000";
    static final String MAIL = "zhang.san@example.com";
    static final String ID = "110101199003077715";
    static final String PEM = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----";
    /** User text with findings, including a value whose JSON form has escapes (the key block's newlines). */
    static final String TEXT = "我是张三，手机" + PHONE + "，邮箱 " + MAIL + "，身份证" + ID + "。\"Quoted\" key:\n" + PEM + "\nthanks";
    static final List<String> VALUES = List.of(PHONE, MAIL, ID, PEM, "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC");

    FakeAnthropic fake;
    MirrorServer mirror;

    void start(Container container, String mode) throws Exception {
        fake = FakeAnthropic.start();
        mirror = MirrorServer.start(container, MirrorConfig.builder().upstream("primary", fake.baseUrl(), "sk-upstream")
                .tenant("t1", "plain:" + KEY).set("pii.mode", mode).build());
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

    static String body(String text, boolean stream, boolean tools) {
        ObjectNode b = Sse.JSON.createObjectNode();
        b.put("model", "claude-sonnet-4-5-20250929").put("max_tokens", 256).put("stream", stream);
        b.putArray("system").addObject().put("type", "text").put("text", "You help " + MAIL);
        b.putArray("messages").addObject().put("role", "user").putArray("content").addObject()
                .put("type", "text").put("text", text);
        if (tools) {
            b.putArray("tools").addObject().put("name", "note").put("description", "save a note")
                    .putObject("input_schema").put("type", "object");
        }
        return b.toString();
    }

    HttpResponse<String> post(String path, String body) throws Exception {
        return Http.send(Http.post(mirror.baseUrl() + path, KEY, body));
    }

    String upstreamBody() {
        return fake.journal().last().bodyText();
    }

    static void assertNoRawValue(String upstream) {
        for (String v : VALUES) {
            assertThat(upstream).doesNotContain(v).doesNotContain(Sse.JSON.getNodeFactory().textNode(v).toString()
                    .replace("\"", ""));
        }
    }

    @ParameterizedTest
    @EnumSource(Container.class)
    void redactKeepsValuesFromTheUpstreamAndGivesThemBackInJson(Container container) throws Exception {
        start(container, "redact");
        HttpResponse<String> r = post("/v1/messages", body(TEXT, false, false));
        assertThat(r.statusCode()).isEqualTo(200);
        String upstream = upstreamBody();
        assertNoRawValue(upstream);
        assertThat(placeholders(upstream)).hasSizeGreaterThanOrEqualTo(4);
        assertThat(Sse.JSON.readTree(r.body()).at("/content/0/text").asText()).isEqualTo(TEXT);
    }

    @ParameterizedTest
    @EnumSource(Container.class)
    void redactRestoresAStreamEvenWhenPlaceholdersAreSplitAcrossDeltas(Container container) throws Exception {
        start(container, "redact");
        fake.textChunkSize(3); // a placeholder is ~18 characters: every one is split over several text_delta events
        HttpResponse<String> r = post("/v1/messages?beta=true", body(TEXT, true, false));
        assertThat(r.statusCode()).isEqualTo(200);
        assertNoRawValue(upstreamBody());
        List<Sse.Event> events = Sse.parse(r.body().getBytes(StandardCharsets.UTF_8));
        assertThat(Sse.text(events, 0)).isEqualTo(TEXT);
        assertThat(events.get(events.size() - 1).name()).isEqualTo("message_stop");
    }

    /** Issue 7, probe 12: a bank card echoed in deltas of 1, 2 and 3 characters comes back whole. */
    @ParameterizedTest
    @EnumSource(Container.class)
    void aBankCardEchoedInTinyDeltasIsRestoredWhole(Container container) throws Exception {
        start(container, "redact");
        String text = "卡号 6222021234567890128";
        for (int size = 1; size <= 3; size++) {
            fake.textChunkSize(size);
            HttpResponse<String> r = post("/v1/messages", body(text, true, false));
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(upstreamBody()).doesNotContain("6222021234567890128").contains("[BANK_CARD_");
            List<Sse.Event> events = Sse.parse(r.body().getBytes(StandardCharsets.UTF_8));
            assertThat(Sse.text(events, 0)).as("deltas of %d chars", size).isEqualTo(text);
        }
    }

    @ParameterizedTest
    @EnumSource(Container.class)
    void redactRestoresToolInputInJsonAndInInputJsonDeltas(Container container) throws Exception {
        start(container, "redact");
        HttpResponse<String> json = post("/v1/messages", body(TEXT, false, true));
        assertNoRawValue(upstreamBody());
        assertThat(Sse.JSON.readTree(json.body()).at("/content/0/input/text").asText()).isEqualTo(TEXT);

        fake.textChunkSize(4);
        HttpResponse<String> sse = post("/v1/messages", body(TEXT, true, true));
        List<Sse.Event> events = Sse.parse(sse.body().getBytes(StandardCharsets.UTF_8));
        int index = events.stream().filter(e -> "content_block_start".equals(e.name())
                && "tool_use".equals(e.data().at("/content_block/type").asText())).findFirst().orElseThrow()
                .data().path("index").asInt();
        assertThat(Sse.input(events, index).path("text").asText()).isEqualTo(TEXT);
    }

    @ParameterizedTest
    @EnumSource(Container.class)
    void aPlaceholderFromAnotherRequestIsNeverRestored(Container container) throws Exception {
        start(container, "redact");
        post("/v1/messages", body("call " + PHONE, false, false));
        String token = placeholders(upstreamBody()).stream().filter(t -> t.startsWith("[PHONE_")).findFirst().orElseThrow();
        // A second request that does not contain the value, but whose echo carries the first one's placeholder.
        HttpResponse<String> r = post("/v1/messages", body("remember " + token + " and " + MAIL, false, false));
        String text = Sse.JSON.readTree(r.body()).at("/content/0/text").asText();
        assertThat(text).isEqualTo("remember " + token + " and " + MAIL).doesNotContain(PHONE);
    }

    @ParameterizedTest
    @EnumSource(Container.class)
    void maskReplacesValuesWithLabelsForGood(Container container) throws Exception {
        start(container, "mask");
        HttpResponse<String> r = post("/v1/messages", body("call " + PHONE + " or mail " + MAIL, false, false));
        assertThat(upstreamBody()).contains("call [PHONE] or mail [EMAIL]").contains("You help [EMAIL]")
                .doesNotContain(PHONE).doesNotContain(MAIL);
        assertThat(Sse.JSON.readTree(r.body()).at("/content/0/text").asText()).isEqualTo("call [PHONE] or mail [EMAIL]");
    }

    @ParameterizedTest
    @EnumSource(Container.class)
    void blockRejectsNamingTheKindsNeverTheValues(Container container) throws Exception {
        start(container, "block");
        HttpResponse<String> r = post("/v1/messages", body("call " + PHONE, false, false));
        assertThat(r.statusCode()).isEqualTo(400);
        JsonNode error = Sse.JSON.readTree(r.body());
        assertThat(error.at("/error/type").asText()).isEqualTo("invalid_request_error");
        assertThat(error.at("/error/message").asText()).contains("cn_mobile").contains("email").doesNotContain(PHONE)
                .doesNotContain(MAIL);
        assertThat(r.headers().firstValue("request-id")).isPresent();
        assertThat(fake.journal().size()).isZero();
        assertThat(post("/v1/messages", body("nothing personal", false, false).replace(MAIL, "us")).statusCode())
                .isEqualTo(200);
    }

    @ParameterizedTest
    @EnumSource(Container.class)
    void detectAndCleanBodiesReachTheUpstreamByteForByte(Container container) throws Exception {
        start(container, "detect");
        String withPii = body(TEXT, false, false).replace(",\"", ", \"");
        assertThat(post("/v1/messages?beta=true", withPii).statusCode()).isEqualTo(200);
        assertThat(fake.journal().last().body()).isEqualTo(withPii.getBytes(StandardCharsets.UTF_8));
        mirror.close();
        mirror = MirrorServer.start(container, MirrorConfig.builder().upstream("primary", fake.baseUrl(), "sk-upstream")
                .tenant("t1", "plain:" + KEY).set("pii.mode", "redact").build());
        String clean = "{\"model\":\"claude-sonnet-4-5\", \"max_tokens\":9,\"messages\":[{\"role\":\"user\",\"content\":"
                + "\"order 2023111512345678 at 12:30:45, v1.2.3.4, \\u4f60\\u597d\\n\"}], \"metadata\":{\"user_id\":\"" + MAIL + "\"}}";
        assertThat(post("/v1/messages", clean).statusCode()).isEqualTo(200);
        assertThat(fake.journal().last().body()).isEqualTo(clean.getBytes(StandardCharsets.UTF_8));
    }

    @ParameterizedTest
    @EnumSource(Container.class)
    void countTokensIsRedactedToo(Container container) throws Exception {
        start(container, "redact");
        HttpResponse<String> r = post("/v1/messages/count_tokens?beta=true", body(TEXT, false, false)
                .replace("\"stream\":false,", ""));
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(fake.journal().last().path()).endsWith("/count_tokens");
        assertNoRawValue(upstreamBody());
        assertThat(Sse.JSON.readTree(r.body()).path("input_tokens").asInt()).isPositive();
    }

    @ParameterizedTest
    @EnumSource(Container.class)
    void aGzipBodyIsDecodedOnceRedactedAndForwardedDecoded(Container container) throws Exception {
        start(container, "redact");
        byte[] gz = PiiFilterTest.gzip(body(TEXT, false, false).getBytes(StandardCharsets.UTF_8));
        Http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(mirror.baseUrl() + "/v1/messages"))
                .header("x-api-key", KEY).header("anthropic-version", "2023-06-01")
                .header("content-type", "application/json").header("content-encoding", "gzip")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofByteArray(gz)));
        io.claudemirror.testkit.RecordedRequest got = fake.journal().last();
        assertThat(got.header("content-encoding")).as("an edited body leaves decoded").isNull();
        String upstream = got.bodyText();
        assertNoRawValue(upstream);
        assertThat(placeholders(upstream)).hasSizeGreaterThanOrEqualTo(4);
    }

    static String batch(String... texts) throws Exception {
        ObjectNode b = Sse.JSON.createObjectNode();
        com.fasterxml.jackson.databind.node.ArrayNode requests = b.putArray("requests");
        for (int i = 0; i < texts.length; i++) {
            requests.addObject().put("custom_id", "req-" + i).set("params", Sse.JSON.readTree(body(texts[i], false, false)
                    .replace("\"stream\":false,", "")));
        }
        return b.toString();
    }

    @ParameterizedTest
    @EnumSource(Container.class)
    void batchCreationIsMaskedInMaskAndRedactAndBlockedInBlock(Container container) throws Exception {
        String sent = batch(TEXT, "call " + PHONE);
        for (String mode : new String[] {"mask", "redact"}) {
            start(container, mode);
            HttpResponse<String> r = post("/v1/messages/batches?beta=true", sent);
            assertThat(r.statusCode()).as(mode).isEqualTo(200);
            assertThat(Sse.JSON.readTree(r.body()).path("type").asText()).isEqualTo("message_batch");
            assertThat(fake.journal().last().path()).endsWith("/v1/messages/batches");
            String upstream = upstreamBody();
            assertNoRawValue(upstream);
            assertThat(placeholders(upstream)).as(mode + ": labels, not placeholders").isEmpty();
            JsonNode tree = Sse.JSON.readTree(upstream);
            assertThat(tree.at("/requests/1/custom_id").asText()).isEqualTo("req-1");
            assertThat(tree.at("/requests/1/params/messages/0/content/0/text").asText()).isEqualTo("call [PHONE]");
            assertThat(tree.at("/requests/0/params/system/0/text").asText()).isEqualTo("You help [EMAIL]");
            assertThat(tree.at("/requests/0/params/model").asText()).isEqualTo("claude-sonnet-4-5-20250929");
            stop();
        }
        start(container, "block");
        HttpResponse<String> r = post("/v1/messages/batches", sent);
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(Sse.JSON.readTree(r.body()).at("/error/message").asText()).contains("cn_mobile").contains("email")
                .doesNotContain(PHONE);
        assertThat(fake.journal().size()).isZero();
    }

    static List<String> placeholders(String text) {
        Matcher m = Pattern.compile("\\[[A-Z_]+_[a-z2-9]{10}]").matcher(text);
        List<String> out = new java.util.ArrayList<>();
        while (m.find()) {
            out.add(m.group());
        }
        return out;
    }

}
