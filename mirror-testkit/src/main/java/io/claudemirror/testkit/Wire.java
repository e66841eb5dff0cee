package io.claudemirror.testkit;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.concurrent.ThreadLocalRandom;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.PreEncodedHttpField;

/**
 * Wire-level look of api.anthropic.com (ANTHROPIC-WIRE §3, §6): id formats, the fingerprint and rate-limit headers
 * every response carries, and the error envelope.
 */
final class Wire {

    static final ObjectMapper JSON = new ObjectMapper();

    static final String JSON_TYPE = "application/json";
    static final String SSE_TYPE = "text/event-stream; charset=utf-8";

    /** The ping event, with the exact spacing seen on the wire (§5). */
    static final byte[] PING = sseEvent("ping", "{\"type\": \"ping\"}".getBytes(StandardCharsets.US_ASCII));

    private static final char[] BASE62 =
            "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".toCharArray();
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    // Values seen in recorded traffic; token limits of a typical tier-4 key. Remaining = limit because the fake
    // never throttles (tests that need throttling enqueue a 429 Fault).
    private static final long REQUESTS_LIMIT = 4000;
    private static final long INPUT_LIMIT = 2_000_000;
    private static final long OUTPUT_LIMIT = 400_000;
    private static final long TOKENS_LIMIT = INPUT_LIMIT + OUTPUT_LIMIT;

    /** Constant headers, pre-encoded once because load tests send tens of thousands of requests per second. */
    private static final HttpField[] CONSTANT_HEADERS = {
        new PreEncodedHttpField("anthropic-ratelimit-requests-limit", REQUESTS_LIMIT),
        new PreEncodedHttpField("anthropic-ratelimit-requests-remaining", REQUESTS_LIMIT - 1),
        new PreEncodedHttpField("anthropic-ratelimit-input-tokens-limit", INPUT_LIMIT),
        new PreEncodedHttpField("anthropic-ratelimit-input-tokens-remaining", INPUT_LIMIT),
        new PreEncodedHttpField("anthropic-ratelimit-output-tokens-limit", OUTPUT_LIMIT),
        new PreEncodedHttpField("anthropic-ratelimit-output-tokens-remaining", OUTPUT_LIMIT),
        new PreEncodedHttpField("anthropic-ratelimit-tokens-limit", TOKENS_LIMIT),
        new PreEncodedHttpField("anthropic-ratelimit-tokens-remaining", TOKENS_LIMIT),
        new PreEncodedHttpField("strict-transport-security", "max-age=31536000; includeSubDomains; preload"),
        new PreEncodedHttpField("x-envoy-upstream-service-time", "12"),
        new PreEncodedHttpField("via", "1.1 google"),
        new PreEncodedHttpField("cf-cache-status", "DYNAMIC"),
        new PreEncodedHttpField("set-cookie", "_cfuvid=abc; path=/; HttpOnly"),
        new PreEncodedHttpField("x-robots-tag", "none"),
        new PreEncodedHttpField("server", "cloudflare"),
    };

    private static final String[] RESET_HEADERS = {
        "anthropic-ratelimit-requests-reset", "anthropic-ratelimit-input-tokens-reset",
        "anthropic-ratelimit-output-tokens-reset", "anthropic-ratelimit-tokens-reset",
    };

    /** RFC 3339 text of the current second, recomputed at most once per second. */
    private static volatile CachedSecond cachedSecond = new CachedSecond(0, "");

    private record CachedSecond(long epochSecond, String text) { }

    private Wire() {
    }

    /** {@code req_011C…}: 24 characters after the prefix, like 2025-26 traffic. */
    static String requestId() {
        return "req_011C" + random(BASE62, 20);
    }

    static String messageId() {
        return "msg_011C" + random(BASE62, 20);
    }

    static String toolUseId() {
        return "toolu_01" + random(BASE62, 22);
    }

    static String batchId() {
        return "msgbatch_01" + random(BASE62, 22);
    }

    static String fileId() {
        return "file_011C" + random(BASE62, 20);
    }

    /** A thinking-block signature: opaque base64-looking text. */
    static String signature() {
        return "EqQBCgIYAhIM" + random(BASE62, 84) + "==";
    }

    private static String random(char[] alphabet, int length) {
        ThreadLocalRandom rnd = ThreadLocalRandom.current();
        char[] out = new char[length];
        for (int i = 0; i < length; i++) {
            out[i] = alphabet[rnd.nextInt(alphabet.length)];
        }
        return new String(out);
    }

    /** Adds the headers every api.anthropic.com response carries (ids, rate limits, Cloudflare fingerprint). */
    static void addStandardHeaders(HttpFields.Mutable headers, String requestId, HttpField organizationId) {
        String reset = nowRfc3339();
        for (String name : RESET_HEADERS) {
            headers.add(name, reset);
        }
        for (HttpField field : CONSTANT_HEADERS) {
            headers.add(field);
        }
        headers.add("request-id", requestId);
        headers.add(organizationId);
        headers.add("cf-ray", random(HEX, 16) + "-NRT");
    }

    static String nowRfc3339() {
        long second = System.currentTimeMillis() / 1000;
        CachedSecond cached = cachedSecond;
        if (cached.epochSecond() != second) {
            cached = new CachedSecond(second, DateTimeFormatter.ISO_INSTANT.format(Instant.ofEpochSecond(second)));
            cachedSecond = cached;
        }
        return cached.text();
    }

    /** {@code {"type":"error","error":{"type":…,"message":…},"request_id":…}} (§6). */
    static byte[] errorEnvelope(String errorType, String message, String requestId) {
        ObjectNode root = JSON.createObjectNode();
        root.put("type", "error");
        ObjectNode error = root.putObject("error");
        error.put("type", errorType);
        error.put("message", message);
        if (requestId != null) {
            root.put("request_id", requestId);
        }
        return bytes(root);
    }

    static byte[] bytes(Object json) {
        try {
            return JSON.writeValueAsBytes(json);
        } catch (Exception e) {
            throw new IllegalStateException("cannot serialise " + json, e);
        }
    }

    /** One named SSE event, exactly {@code event: NAME\ndata: JSON\n\n} (§5). */
    static byte[] sseEvent(String name, byte[] json) {
        byte[] head = ("event: " + name + "\ndata: ").getBytes(StandardCharsets.US_ASCII);
        byte[] out = new byte[head.length + json.length + 2];
        System.arraycopy(head, 0, out, 0, head.length);
        System.arraycopy(json, 0, out, head.length, json.length);
        out[out.length - 2] = '\n';
        out[out.length - 1] = '\n';
        return out;
    }
}
