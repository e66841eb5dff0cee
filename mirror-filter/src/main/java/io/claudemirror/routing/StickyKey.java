package io.claudemirror.routing;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.claudemirror.exchange.RequestFacts;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The conversation a request belongs to, for stickiness. In order: the {@code x-claude-code-session-id} header;
 * else the session part of {@code metadata.user_id} (Claude Code sends
 * {@code user_<hash>_account_<uuid>_session_<uuid>}); else a hash of {@code system} and the first message, which
 * stay the same on every turn of one conversation. Read with one streaming pass over the decoded body; no tree
 * is built and nothing of the content is kept, only a digest.
 */
public final class StickyKey {
    /** The header Claude Code sends with its session id. */
    public static final String SESSION_HEADER = "x-claude-code-session-id";

    private static final String SESSION_MARK = "_session_";
    private static final int MAX_PLAIN = 128;

    private StickyKey() {
    }

    /**
     * The sticky key of a request, or null when it names no conversation (no header, no session, no messages, or
     * a body that is not a JSON object).
     */
    public static String extract(String sessionHeader, byte[] body, int length) {
        if (sessionHeader != null && !sessionHeader.isBlank()) {
            return plain("h:", sessionHeader.trim());
        }
        if (body == null || length <= 0) {
            return null;
        }
        MessageDigest digest = sha256();
        boolean hashed = false;
        try (JsonParser p = RequestFacts.jsonFactory().createParser(body, 0, length)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return null;
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken value = p.nextToken();
                if (value == null) {
                    return null;
                }
                switch (name) {
                    case "metadata" -> {
                        String session = session(p, value);
                        if (session != null) {
                            // The session says it all; the rest of the body need not be read.
                            return plain("s:", session);
                        }
                    }
                    case "system" -> {
                        digest.update((byte) 's');
                        hashValue(p, value, body, digest);
                        hashed = true;
                    }
                    case "messages" -> {
                        if (value == JsonToken.START_ARRAY) {
                            JsonToken first = p.nextToken();
                            if (first != null && first != JsonToken.END_ARRAY) {
                                digest.update((byte) 'm');
                                hashValue(p, first, body, digest);
                                hashed = true;
                                while (p.nextToken() != JsonToken.END_ARRAY) {
                                    p.skipChildren();
                                }
                            }
                        } else {
                            p.skipChildren();
                        }
                    }
                    default -> p.skipChildren();
                }
            }
        } catch (IOException | RuntimeException e) {
            // Not JSON, or cut short: no conversation to stick to.
            return null;
        }
        return hashed ? "b:" + HexFormat.of().formatHex(digest.digest(), 0, 16) : null;
    }

    /** The session id inside {@code metadata.user_id}, or null; leaves the parser after the metadata value. */
    private static String session(JsonParser p, JsonToken value) throws IOException {
        if (value != JsonToken.START_OBJECT) {
            p.skipChildren();
            return null;
        }
        String found = null;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken v = p.nextToken();
            if ("user_id".equals(name) && v == JsonToken.VALUE_STRING) {
                String userId = p.getText();
                int at = userId.lastIndexOf(SESSION_MARK);
                if (at >= 0 && at + SESSION_MARK.length() < userId.length()) {
                    found = userId.substring(at + SESSION_MARK.length());
                }
            } else {
                p.skipChildren();
            }
        }
        return found;
    }

    /** Feeds the raw bytes of the current value (an object or array as sent, a scalar as its text). */
    private static void hashValue(JsonParser p, JsonToken value, byte[] body, MessageDigest digest) throws IOException {
        if (value.isStructStart()) {
            int start = (int) p.currentTokenLocation().getByteOffset();
            p.skipChildren();
            int end = (int) p.currentTokenLocation().getByteOffset() + 1;
            digest.update(body, start, end - start);
        } else {
            digest.update(p.getText().getBytes(StandardCharsets.UTF_8));
        }
    }

    private static String plain(String prefix, String id) {
        if (id.length() <= MAX_PLAIN) {
            return prefix + id;
        }
        // Bounded memory in the sticky table whatever a client sends.
        return prefix + HexFormat.of().formatHex(sha256().digest(id.getBytes(StandardCharsets.UTF_8)), 0, 16);
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every JVM", e);
        }
    }
}
