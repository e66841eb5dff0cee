package io.claudemirror.pii;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Restoring redacted values into JSON responses and SSE streams, including the awkward splits. */
class RestoringTransformerTest {
    private static final String PHONE = "13800138000";
    /** A value that needs escaping: quotes, a backslash, newlines, CJK and an emoji. */
    private static final String KEY = "-----BEGIN PRIVATE KEY-----\nMII\"q\"\\x 中文" + new String(Character.toChars(0x1F600))
            + "\n-----END PRIVATE KEY-----";

    private final PiiScanner scanner = PiiScanner.defaults();
    private PlaceholderVault vault;
    private String phone;
    private String key;
    private String foreign;

    @BeforeEach
    void vault() {
        vault = scanner.newVault("t1");
        phone = vault.placeholder("cn_mobile", "PHONE", PHONE);
        key = vault.placeholder("secret", "SECRET", KEY);
        foreign = scanner.newVault("other-tenant").placeholder("email", "EMAIL", "x@example.com");
    }

    private RestoringTransformer transformer() {
        return new RestoringTransformer(vault, "req_test");
    }

    /** What the model wrote, with placeholders, and what the client must read. */
    private String modelText() {
        return "Call " + phone + " today; key " + key + ". Not ours: " + foreign + ", [link](x) and [PHONE_] or [" + phone;
    }

    private String restoredText() {
        return "Call " + PHONE + " today; key " + KEY + ". Not ours: " + foreign + ", [link](x) and [PHONE_] or [" + PHONE;
    }

    @Test
    void restoresAMessageInTextAndToolInputButNotInThinking() throws Exception {
        ObjectNode msg = Sse.obj("{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude\","
                + "\"stop_reason\":\"tool_use\",\"usage\":{\"input_tokens\":1,\"output_tokens\":2}}");
        ObjectNode thinking = msg.putArray("content").addObject();
        thinking.put("type", "thinking").put("thinking", "the user gave " + phone).put("signature", "sig");
        ((com.fasterxml.jackson.databind.node.ArrayNode) msg.get("content")).addObject().put("type", "text").put("text", modelText());
        ObjectNode tool = ((com.fasterxml.jackson.databind.node.ArrayNode) msg.get("content")).addObject();
        tool.put("type", "tool_use").put("id", "toolu_1").put("name", "save");
        tool.putObject("input").put("note", "key=" + key).putArray("numbers").add(phone).add(7);
        byte[] body = msg.toString().getBytes(StandardCharsets.UTF_8);

        RestoringTransformer t = transformer();
        t.begin(200, "application/json");
        assertThat(t.transform(body, 0, 10).remaining()).isZero();
        ByteBuffer tail = t.transform(body, 10, body.length - 10);
        assertThat(tail.remaining()).isZero();
        byte[] out = bytes(t.finish());
        JsonNode restored = Sse.JSON.readTree(out);
        assertThat(restored.at("/content/0/thinking").asText()).isEqualTo("the user gave " + phone);
        assertThat(restored.at("/content/1/text").asText()).isEqualTo(restoredText());
        assertThat(restored.at("/content/2/input/note").asText()).isEqualTo("key=" + KEY);
        assertThat(restored.at("/content/2/input/numbers/0").asText()).isEqualTo(PHONE);
        assertThat(restored.at("/usage")).isEqualTo(msg.get("usage"));
    }

    @Test
    void errorResponsesAndOtherContentPassUnchanged() {
        byte[] err = ("{\"type\":\"error\",\"error\":{\"type\":\"invalid_request_error\",\"message\":\"bad " + phone + "\"}}")
                .getBytes(StandardCharsets.UTF_8);
        RestoringTransformer t = transformer();
        t.begin(400, "application/json");
        assertThat(bytes(t.transform(err, 0, err.length))).isEqualTo(err);
        assertThat(t.finish().remaining()).isZero();

        RestoringTransformer broken = transformer();
        broken.begin(200, "application/json");
        byte[] notJson = ("not json " + phone).getBytes(StandardCharsets.UTF_8);
        broken.transform(notJson, 0, notJson.length);
        assertThat(bytes(broken.finish())).isEqualTo(notJson);
    }

    @Test
    void restoresAStreamWhateverTheDeltaSizesAndNetworkChunks() throws Exception {
        String inputJson = Sse.JSON.writeValueAsString(Sse.obj("{}").put("text", modelText()).put("n", 1));
        for (int deltaSize = 1; deltaSize <= 40; deltaSize += deltaSize < 8 ? 1 : 7) {
            byte[] stream = new Sse().start().text(0, modelText(), deltaSize).ping().toolUse(1, inputJson, deltaSize).end()
                    .build().getBytes(StandardCharsets.UTF_8);
            for (int chunk : new int[] {1, 2, 3, 7, 64, 1000, stream.length}) {
                List<Sse.Event> events = Sse.parse(Sse.run(transformer(), stream, chunk));
                String where = "delta size " + deltaSize + ", chunk " + chunk;
                assertThat(Sse.text(events, 0)).as(where).isEqualTo(restoredText());
                JsonNode input = Sse.input(events, 1);
                assertThat(input.path("text").asText()).as(where).isEqualTo(restoredText());
                assertThat(input.path("n").asInt()).as(where).isEqualTo(1);
                assertThat(events.get(0).name()).isEqualTo("message_start");
                assertThat(events.get(events.size() - 1).name()).isEqualTo("message_stop");
            }
        }
    }

    @Test
    void aStreamWithoutPlaceholdersPassesByteForByteAndEventByEvent() {
        byte[] stream = new Sse().start().text(0, "no secrets [here] at all", 5).end().build()
                .getBytes(StandardCharsets.UTF_8);
        RestoringTransformer t = transformer();
        t.begin(200, "text/event-stream");
        String s = new String(stream, StandardCharsets.UTF_8);
        int from = 0;
        // Chunks that end on event boundaries come out at once and unchanged: nothing is delayed.
        for (int end = s.indexOf("\n\n") + 2; end > 1; from = end, end = s.indexOf("\n\n", end) + 2) {
            byte[] chunk = s.substring(from, end).getBytes(StandardCharsets.UTF_8);
            assertThat(bytes(t.transform(chunk, 0, chunk.length))).isEqualTo(chunk);
        }
        assertThat(t.finish().remaining()).isZero();
    }

    @Test
    void onlyAPossiblePlaceholderStartIsHeldBack() {
        String half = phone.substring(0, 9);
        byte[] first = new Sse().delta(0, "text_delta", "text", "ok " + half).build().getBytes(StandardCharsets.UTF_8);
        RestoringTransformer t = transformer();
        t.begin(200, "text/event-stream");
        List<Sse.Event> now = Sse.parse(bytes(t.transform(first, 0, first.length)));
        // The event goes out at once, minus the bytes that may be a placeholder.
        assertThat(now).hasSize(1);
        assertThat(now.get(0).data().at("/delta/text").asText()).isEqualTo("ok ");
        byte[] second = new Sse().ping().delta(0, "text_delta", "text", phone.substring(9) + " bye").stop(0).build()
                .getBytes(StandardCharsets.UTF_8);
        List<Sse.Event> next = Sse.parse(bytes(t.transform(second, 0, second.length)));
        assertThat(next).extracting(Sse.Event::name).containsExactly("ping", "content_block_delta", "content_block_stop");
        assertThat(next.get(1).data().at("/delta/text").asText()).isEqualTo(PHONE + " bye");
    }

    @Test
    void aCarriedPrefixTheModelNeverCompletesIsSentBeforeTheBlockEnds() {
        byte[] stream = new Sse().text(0, "see [PHONE_", 3).text(1, "x", 1).end().build().getBytes(StandardCharsets.UTF_8);
        List<Sse.Event> events = Sse.parse(Sse.run(transformer(), stream, 5));
        assertThat(Sse.text(events, 0)).isEqualTo("see [PHONE_");
        int stop = -1;
        int lastDelta = -1;
        for (int i = 0; i < events.size(); i++) {
            JsonNode d = events.get(i).data();
            if (d.path("index").asInt(-1) == 0 && "content_block_stop".equals(events.get(i).name())) {
                stop = i;
            }
            if (d.path("index").asInt(-1) == 0 && "content_block_delta".equals(events.get(i).name())) {
                lastDelta = i;
            }
        }
        assertThat(lastDelta).isLessThan(stop);
    }

    @Test
    void aStreamCutOffInsideAPlaceholderStillDeliversItsText() {
        byte[] stream = new Sse().start().delta(0, "text_delta", "text", "abc [PHO").build().getBytes(StandardCharsets.UTF_8);
        List<Sse.Event> events = Sse.parse(Sse.run(transformer(), stream, 4));
        assertThat(Sse.text(events, 0)).isEqualTo("abc [PHO");
    }

    @Test
    void thinkingDeltasAreNotRestored() {
        byte[] stream = new Sse().delta(0, "thinking_delta", "thinking", "x " + phone).build().getBytes(StandardCharsets.UTF_8);
        assertThat(Sse.run(transformer(), stream, 7)).isEqualTo(stream);
    }

    @Test
    void crlfStreamsAreRestoredToo() {
        String s = new Sse().text(0, "a " + phone + " b", 4).build().replace("\n", "\r\n");
        List<Sse.Event> events = Sse.parse(Sse.run(transformer(), s.getBytes(StandardCharsets.UTF_8), 3));
        assertThat(Sse.text(events, 0)).isEqualTo("a " + PHONE + " b");
    }

    private static byte[] bytes(ByteBuffer b) {
        byte[] a = new byte[b.remaining()];
        b.get(a);
        return a;
    }
}
