package io.claudemirror.cache;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.claudemirror.exchange.RequestFacts;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The cache key: SHA-256 over the scope (the tenant, or everyone when {@code cache.shared}), the canonical
 * method, the normalised path, the query, {@code anthropic-version}, {@code anthropic-beta}, and the request
 * body without its top-level {@code stream} member, so a streaming and a non-streaming request for the same
 * answer share one entry. Each part is length-prefixed, so no two different requests can run into one input.
 *
 * <p>The body is never re-serialised (that would make the key depend on a serializer's choices and cost an
 * allocation per member): the byte span of the {@code "stream": true|false} member and one adjacent comma is
 * left out of the digest, everything else is hashed as sent. Two bodies that differ in whitespace or member
 * order get different keys, which costs a miss, never a wrong answer.
 */
public final class CacheKey {
    private static final byte[] STREAM_NAME = "\"stream\"".getBytes(StandardCharsets.US_ASCII);

    private CacheKey() {
    }

    /**
     * The key as 64 hex characters.
     *
     * @param scope   who may share the entry: {@code "t:" + tenant id}, or {@code "*"} when shared
     * @param body    the decoded request body (may be null), of which the first {@code length} bytes count
     */
    static String of(String scope, String method, String path, String query, String version, String beta,
                     byte[] body, int length) {
        return of(scope, method, path, query, version, beta, body, length, UNKNOWN);
    }

    /** Where the body's {@code stream} member starts is not known: the key's own scan finds it. */
    public static final int UNKNOWN = -2;

    /**
     * As {@link #of(String, String, String, String, String, String, byte[], int)}, with the byte offset of the
     * top-level {@code "stream"} member's name already known ({@code RequestFacts.streamAt()} of this very body: -1
     * for none), or {@link #UNKNOWN}. Saves a parse of the body per request.
     */
    public static String of(String scope, String method, String path, String query, String version, String beta,
                            byte[] body, int length, int streamAt) {
        MessageDigest d = sha256();
        part(d, scope);
        part(d, method);
        part(d, path);
        part(d, query);
        part(d, version);
        part(d, beta);
        if (body == null || length <= 0) {
            part(d, "");
        } else {
            int[] span = streamAt == UNKNOWN ? streamSpan(body, length)
                    : streamAt < 0 ? null : span(body, length, streamAt);
            int cut = span == null ? 0 : span[1] - span[0];
            lengthPrefix(d, length - cut);
            if (span == null) {
                d.update(body, 0, length);
            } else {
                d.update(body, 0, span[0]);
                d.update(body, span[1], length - span[1]);
            }
        }
        return hex(d.digest());
    }

    /**
     * The byte span {@code [from, to)} of the top-level {@code "stream": true|false} member with one adjacent
     * comma (the one after it, else the one before), or null when there is none or it is not spelled plainly.
     */
    static int[] streamSpan(byte[] body, int length) {
        try (JsonParser p = RequestFacts.jsonFactory().createParser(body, 0, length)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return null;
            }
            JsonToken t;
            while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
                if (!"stream".equals(p.currentName())) {
                    p.nextToken();
                    p.skipChildren();
                    continue;
                }
                int nameAt = (int) p.currentTokenLocation().getByteOffset();
                return nameAt < 0 ? null : span(body, length, nameAt);
            }
            return null;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private static int[] span(byte[] b, int length, int nameAt) {
        if (!regionEquals(b, length, nameAt, STREAM_NAME)) {
            return null; // an escaped spelling of the name: keep it in the key
        }
        int i = skipSpace(b, length, nameAt + STREAM_NAME.length);
        if (i >= length || b[i] != ':') {
            return null;
        }
        i = skipSpace(b, length, i + 1);
        int end;
        if (regionEquals(b, length, i, "true".getBytes(StandardCharsets.US_ASCII))) {
            end = i + 4;
        } else if (regionEquals(b, length, i, "false".getBytes(StandardCharsets.US_ASCII))) {
            end = i + 5;
        } else {
            return null;
        }
        int after = skipSpace(b, length, end);
        if (after < length && b[after] == ',') {
            return new int[] {nameAt, skipSpace(b, length, after + 1)};
        }
        int before = nameAt - 1;
        while (before >= 0 && isSpace(b[before])) {
            before--;
        }
        if (before >= 0 && b[before] == ',') {
            return new int[] {before, end};
        }
        return new int[] {nameAt, end}; // the only member
    }

    private static boolean regionEquals(byte[] b, int length, int at, byte[] what) {
        if (at < 0 || at + what.length > length) {
            return false;
        }
        for (int k = 0; k < what.length; k++) {
            if (b[at + k] != what[k]) {
                return false;
            }
        }
        return true;
    }

    private static int skipSpace(byte[] b, int length, int i) {
        while (i < length && isSpace(b[i])) {
            i++;
        }
        return i;
    }

    private static boolean isSpace(byte c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r';
    }

    private static void part(MessageDigest d, String s) {
        if (s == null) {
            lengthPrefix(d, -1);
            return;
        }
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        lengthPrefix(d, b.length);
        d.update(b);
    }

    private static void lengthPrefix(MessageDigest d, int n) {
        d.update((byte) (n >>> 24));
        d.update((byte) (n >>> 16));
        d.update((byte) (n >>> 8));
        d.update((byte) n);
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every Java platform", e);
        }
    }

    static String hex(byte[] bytes) {
        char[] c = new char[bytes.length * 2];
        for (int i = 0; i < bytes.length; i++) {
            c[2 * i] = Character.forDigit((bytes[i] >> 4) & 0xF, 16);
            c[2 * i + 1] = Character.forDigit(bytes[i] & 0xF, 16);
        }
        return new String(c);
    }
}
