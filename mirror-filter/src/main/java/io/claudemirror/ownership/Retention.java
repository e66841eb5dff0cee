package io.claudemirror.ownership;

import io.claudemirror.exchange.ApiRequest;
import java.time.Duration;
import java.time.Instant;

/**
 * How long an ownership record lives: as long as the upstream keeps the thing it names. Anthropic keeps a
 * message batch (and its results) for 29 days after creation; an uploaded file until it is deleted, so a file's
 * record has no expiry and is removed when the owner deletes the file through the mirror.
 */
public final class Retention {
    /** Anthropic's retention of a message batch and its results. */
    public static final Duration BATCH = Duration.ofDays(29);

    private Retention() {
    }

    /** When the record of a {@code kind} created at {@code createdAt} expires, or null for never. */
    public static Instant expiresAt(String kind, Instant createdAt) {
        return ApiRequest.BATCH.equals(kind) ? createdAt.plus(BATCH) : null;
    }
}
