package io.claudemirror.pii;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.claudemirror.pii.RequestScrubber.Edit;
import io.claudemirror.pii.RequestScrubber.Result;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Which strings of a request are scanned, and that edits touch nothing but the findings' bytes. */
class RequestScrubberTest {
    private static final String PHONE = "13800138000";
    private static final String MAIL = "zhang.san@example.com";
    private final PiiScanner scanner = PiiScanner.defaults();

    /** {@code ~} stands for a backslash in JSON source, to keep Java's escapes out of the way. */
    static String json(String s) {
        return s.replace('~', '\\');
    }

    private Result scrub(String body, Edit edit, PlaceholderVault vault) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        return RequestScrubber.scrub(scanner, b, b.length, edit, vault);
    }

    private String masked(String body) throws IOException {
        Result r = scrub(body, Edit.MASK, null);
        return new String(r.body, 0, r.length, StandardCharsets.UTF_8);
    }

    @Test
    void aBodyWithoutFindingsIsTheSameArray() throws IOException {
        byte[] b = json("{\"model\":\"claude-sonnet-4-5\",\"messages\":[{\"role\":\"user\","
                + "\"content\":\"order 2023111512345678 at 12:30, v1.2.3.4 ~n ok\"}]}")
                .getBytes(StandardCharsets.UTF_8);
        Result r = RequestScrubber.scrub(scanner, b, b.length, Edit.REDACT, scanner.newVault("t1"));
        assertThat(r.body).isSameAs(b);
        assertThat(r.changed).isFalse();
        assertThat(r.found()).isFalse();
    }

    @Test
    void scansEveryPlaceThatCarriesUserContentAndNothingElse() throws IOException {
        String p = PHONE;
        String body = "{\"model\":\"claude-" + p + "\",\"metadata\":{\"user_id\":\"" + MAIL + "\"},"
                + "\"system\":[{\"type\":\"text\",\"text\":\"sys " + p + "\",\"cache_control\":{\"type\":\"ephemeral\"}}],"
                + "\"tools\":[{\"name\":\"t\",\"description\":\"call " + p + "\",\"input_schema\":{\"type\":\"object\"}}],"
                + "\"messages\":["
                + "{\"role\":\"system\",\"content\":\"env " + p + "\"},"
                + "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"u " + p + "\"},"
                + "{\"type\":\"image\",\"source\":{\"type\":\"base64\",\"media_type\":\"image/png\",\"data\":\"" + p + "\"}},"
                + "{\"type\":\"document\",\"source\":{\"type\":\"text\",\"data\":\"doc " + p + "\"},\"title\":\"" + p + "\"}]},"
                + "{\"role\":\"assistant\",\"content\":[{\"type\":\"thinking\",\"thinking\":\"t " + p + "\",\"signature\":\"s\"},"
                + "{\"type\":\"text\",\"text\":\"a " + p + "\"},"
                + "{\"type\":\"tool_use\",\"id\":\"toolu_1\",\"name\":\"" + p + "\",\"input\":{\"to\":\"" + MAIL
                + "\",\"list\":[\"" + p + "\",42,{\"deep\":\"x " + p + "\"}],\"" + p + "\":1}}]},"
                + "{\"role\":\"user\",\"content\":[{\"type\":\"tool_result\",\"tool_use_id\":\"" + p + "\",\"content\":\"r " + p + "\"},"
                + "{\"type\":\"tool_result\",\"tool_use_id\":\"toolu_2\",\"content\":[{\"type\":\"text\",\"text\":\"rt " + p + "\"},"
                + "{\"type\":\"image\",\"source\":{\"type\":\"url\",\"url\":\"http://x/" + p + "\"}}]}]}"
                + "],\"max_tokens\":" + p + "}";
        String expected = body
                .replace("sys " + p, "sys [PHONE]")
                .replace("env " + p, "env [PHONE]")
                .replace("u " + p, "u [PHONE]")
                .replace("\"a " + p, "\"a [PHONE]")
                .replace("\"to\":\"" + MAIL, "\"to\":\"[EMAIL]")
                .replace("[\"" + p + "\",42", "[\"[PHONE]\",42")
                .replace("x " + p, "x [PHONE]")
                .replace("\"r " + p, "\"r [PHONE]")
                .replace("rt " + p, "rt [PHONE]")
                // issue 7, probe 11: tool descriptions and text documents (with their title) are user content too
                .replace("call " + p, "call [PHONE]")
                .replace("doc " + p, "doc [PHONE]")
                .replace("\"title\":\"" + p, "\"title\":\"[PHONE]");
        assertThat(masked(body)).isEqualTo(expected);
        byte[] raw = body.getBytes(StandardCharsets.UTF_8);
        Result r = RequestScrubber.scrub(scanner, raw, raw.length, Edit.NONE, null);
        assertThat(r.body).isSameAs(raw);
        assertThat(r.changed).isFalse();
        assertThat(count(r, "cn_mobile")).isEqualTo(11);
        assertThat(count(r, "email")).isEqualTo(1);
    }

    @Test
    void aBlockIsJudgedByItsTypeWhereverTheTypeKeyComes() throws IOException {
        String body = "{\"messages\":[{\"role\":\"user\",\"content\":["
                + "{\"text\":\"first " + PHONE + "\",\"type\":\"text\"},"
                + "{\"content\":[{\"text\":\"nested " + PHONE + "\",\"type\":\"text\"}],"
                + "\"type\":\"search_result\",\"source\":\"s\",\"title\":\"t\"},"
                + "{\"content\":[{\"text\":\"kept " + PHONE + "\",\"type\":\"text\"}],\"tool_use_id\":\"x\",\"type\":\"tool_result\"}"
                + "]}],\"system\":\"s " + PHONE + "\"}";
        // Nested text blocks are user content wherever they sit (a search result here, issue 7 probe 11).
        assertThat(masked(body)).isEqualTo(body.replace("first " + PHONE, "first [PHONE]")
                .replace("nested " + PHONE, "nested [PHONE]")
                .replace("kept " + PHONE, "kept [PHONE]").replace("s " + PHONE, "s [PHONE]"));
    }

    @Test
    void editsOnlyTheRawBytesOfAFindingKeepingEscapesAround() throws IOException {
        String key = "-----BEGIN PRIVATE KEY-----~nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC~n-----END PRIVATE KEY-----";
        String body = json("{\"messages\":[{\"role\":\"user\",\"content\":\"~u4f60~u597d ~\"quoted~\" " + key
                + "~nmail zhang~u002esan~u0040example.com~t中文" + PHONE + "。\"}]}");
        PlaceholderVault vault = scanner.newVault("t1");
        Result r = scrub(body, Edit.REDACT, vault);
        String out = new String(r.body, 0, r.length, StandardCharsets.UTF_8);
        Matcher m = Pattern.compile("\\[(SECRET|EMAIL|PHONE)_[a-z2-9]{10}]").matcher(out);
        int n = 0;
        while (m.find()) {
            n++;
        }
        assertThat(n).isEqualTo(3);
        assertThat(out).startsWith(json("{\"messages\":[{\"role\":\"user\",\"content\":\"~u4f60~u597d ~\"quoted~\" [SECRET_"))
                .contains(json("]~nmail [EMAIL_")).contains(json("]~t中文[PHONE_")).endsWith("]。\"}]}");
        // The vault holds decoded values: real newlines, '.' and '@' rather than their escapes.
        assertThat(vault.size()).isEqualTo(3);
        byte[] ob = r.body;
        int at = out.indexOf("[EMAIL_");
        int byteAt = out.substring(0, at).getBytes(StandardCharsets.UTF_8).length;
        assertThat(vault.match(ob, byteAt, r.length).value).isEqualTo("zhang.san@example.com");
        int keyAt = out.substring(0, out.indexOf("[SECRET_")).getBytes(StandardCharsets.UTF_8).length;
        assertThat(vault.match(ob, keyAt, r.length).value).isEqualTo(key.replace("~n", "\n"));
    }

    @Test
    void placeholdersAreStablePerTenantAndDifferBetweenTenants() throws IOException {
        String body = "{\"messages\":[{\"role\":\"user\",\"content\":\"call " + PHONE + " or " + PHONE + "\"}]}";
        String a1 = redacted(body, scanner.newVault("team-a"));
        String a2 = redacted(body, scanner.newVault("team-a"));
        String b = redacted(body, scanner.newVault("team-b"));
        assertThat(a1).isEqualTo(a2).isNotEqualTo(b).doesNotContain(PHONE);
        String token = a1.substring(a1.indexOf("[PHONE_"), a1.indexOf(']') + 1);
        assertThat(a1).isEqualTo(body.replace(PHONE, token));
        PiiScanner perRequest = PiiScanner.builder().stablePlaceholders(false).build();
        byte[] bb = body.getBytes(StandardCharsets.UTF_8);
        String r1 = new String(RequestScrubber.scrub(perRequest, bb, bb.length, Edit.REDACT, perRequest.newVault("team-a")).body,
                StandardCharsets.UTF_8);
        String r2 = new String(RequestScrubber.scrub(perRequest, bb, bb.length, Edit.REDACT, perRequest.newVault("team-a")).body,
                StandardCharsets.UTF_8);
        assertThat(r1).isNotEqualTo(r2);
    }

    @Test
    void twoScannersWithTheSameKeyAgree() throws IOException {
        byte[] key = "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
        PiiScanner s1 = PiiScanner.builder().placeholderKey(key).build();
        PiiScanner s2 = PiiScanner.builder().placeholderKey(key).build();
        byte[] b = ("{\"system\":\"" + MAIL + "\"}").getBytes(StandardCharsets.UTF_8);
        assertThat(RequestScrubber.scrub(s1, b, b.length, Edit.REDACT, s1.newVault("t")).body)
                .isEqualTo(RequestScrubber.scrub(s2, b, b.length, Edit.REDACT, s2.newVault("t")).body);
    }

    @Test
    void aBatchBodyIsScannedInEveryParamsAndNowhereElse() throws IOException {
        String p = PHONE;
        String params1 = "{\"model\":\"claude-" + p + "\",\"max_tokens\":1024,\"metadata\":{\"user_id\":\"" + MAIL + "\"},"
                + "\"system\":[{\"type\":\"text\",\"text\":\"sys " + p + "\"}],"
                + "\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"u " + p + "\"},"
                + "{\"type\":\"image\",\"source\":{\"type\":\"base64\",\"media_type\":\"image/png\",\"data\":\"" + p + "\"}}]},"
                + "{\"role\":\"assistant\",\"content\":[{\"type\":\"thinking\",\"thinking\":\"t " + p + "\",\"signature\":\"s\"},"
                + "{\"type\":\"tool_use\",\"id\":\"toolu_1\",\"name\":\"" + p + "\",\"input\":{\"to\":\"" + MAIL + "\",\"n\":" + p + "}}]},"
                + "{\"role\":\"user\",\"content\":[{\"type\":\"tool_result\",\"tool_use_id\":\"" + p + "\","
                + "\"content\":[{\"type\":\"text\",\"text\":\"r ~u0031" + p.substring(1) + "\"}]}]}]}";
        String params2 = "{\"system\":\"s2 " + MAIL + "\",\"messages\":[{\"role\":\"user\",\"content\":\"plain " + p + "\"}]}";
        String body = json("{\"requests\" : [ {\"custom_id\":\"" + p + "\",\"params\":" + params1 + "},"
                + "{\"params\":" + params2 + ",\"custom_id\":\"" + MAIL + "\"},"
                + "{\"custom_id\":\"empty\"}, 7, {\"custom_id\":\"x\",\"params\":\"" + p + "\"}],"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"top " + p + "\"}],\"system\":\"" + p + "\"}");
        String expected = body
                .replace("sys " + p, "sys [PHONE]")
                .replace("u " + p, "u [PHONE]")
                .replace("\"to\":\"" + MAIL, "\"to\":\"[EMAIL]")
                .replace(json("r ~u0031") + p.substring(1), "r [PHONE]")
                .replace("s2 " + MAIL, "s2 [EMAIL]")
                .replace("plain " + p, "plain [PHONE]");
        byte[] raw = body.getBytes(StandardCharsets.UTF_8);

        Result detect = RequestScrubber.scrub(scanner, raw, raw.length, Edit.NONE, null, true);
        assertThat(detect.body).isSameAs(raw);
        assertThat(detect.changed).isFalse();
        assertThat(count(detect, "cn_mobile")).isEqualTo(4);
        assertThat(count(detect, "email")).isEqualTo(2);

        Result mask = RequestScrubber.scrub(scanner, raw, raw.length, Edit.MASK, null, true);
        String masked = new String(mask.body, 0, mask.length, StandardCharsets.UTF_8);
        assertThat(masked).isEqualTo(expected);
        assertThat(count(mask, "cn_mobile")).isEqualTo(4);
        JsonNode tree = new ObjectMapper().readTree(masked);
        assertThat(tree.at("/requests/0/custom_id").asText()).isEqualTo(p);
        assertThat(tree.at("/requests/1/custom_id").asText()).isEqualTo(MAIL);
        assertThat(tree.at("/requests/0/params/messages/2/content/0/content/0/text").asText()).isEqualTo("r [PHONE]");
        assertThat(tree.at("/requests/0/params/messages/0/content/1/source/data").asText()).isEqualTo(p);

        // Redact acts as mask for a batch: its results come back through other requests, nothing to restore.
        PlaceholderVault vault = scanner.newVault("t1");
        Result redact = RequestScrubber.scrub(scanner, raw, raw.length, Edit.REDACT, vault, true);
        assertThat(new String(redact.body, 0, redact.length, StandardCharsets.UTF_8)).isEqualTo(masked);
        assertThat(vault.isEmpty()).isTrue();
        // Block rejects on any finding: the scan reports them, whatever the edit.
        assertThat(detect.found()).isTrue();

        // The same body as a Messages body: only the top-level system and messages are content.
        Result asMessages = RequestScrubber.scrub(scanner, raw, raw.length, Edit.NONE, null, false);
        assertThat(count(asMessages, "cn_mobile")).isEqualTo(2);
        assertThat(count(asMessages, "email")).isZero();

        byte[] clean = "{\"requests\":[{\"custom_id\":\"13800138000\",\"params\":{\"messages\":[]}}]}"
                .getBytes(StandardCharsets.UTF_8);
        Result none = RequestScrubber.scrub(scanner, clean, clean.length, Edit.MASK, null, true);
        assertThat(none.body).isSameAs(clean);
        assertThat(none.found()).isFalse();
        byte[] bad = "{\"requests\":[{\"params\":{\"system\":\"x\"}".getBytes(StandardCharsets.UTF_8);
        assertThatThrownBy(() -> RequestScrubber.scrub(scanner, bad, bad.length, Edit.MASK, null, true))
                .isInstanceOf(IOException.class);
    }

    @Test
    void malformedJsonIsAnError() {
        for (String bad : new String[] {"{\"messages\":[", "{\"system\":\"x\"} trailing", "{'a':1}", "[1,]",
                "{\"system\":\"unterminated}"}) {
            assertThatThrownBy(() -> scrub(bad, Edit.MASK, null)).as(bad).isInstanceOf(IOException.class);
        }
        byte[] badUtf8 = {'{', '"', 's', 'y', 's', 't', 'e', 'm', '"', ':', '"', 'a', (byte) 0xFF, 'b', '"', '}'};
        assertThatThrownBy(() -> RequestScrubber.scrub(scanner, badUtf8, badUtf8.length, Edit.MASK, null))
                .isInstanceOf(IOException.class);
    }

    @Test
    void emptyAndNonObjectBodiesHaveNothingToScan() throws IOException {
        assertThat(scrub("", Edit.MASK, null).changed).isFalse();
        assertThat(scrub("[\"" + PHONE + "\"]", Edit.MASK, null).found()).isFalse();
    }

    private String redacted(String body, PlaceholderVault vault) throws IOException {
        Result r = scrub(body, Edit.REDACT, vault);
        return new String(r.body, 0, r.length, StandardCharsets.UTF_8);
    }

    private int count(Result r, String type) {
        for (int d = 0; d < scanner.detectorCount(); d++) {
            if (scanner.detector(d).type().equals(type)) {
                return r.counts[d];
            }
        }
        throw new AssertionError(type);
    }
}
