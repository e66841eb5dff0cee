package io.claudemirror.ownership;

import java.time.Instant;
import java.util.List;

/**
 * Which tenant created each file and each message batch the mirror has seen created. The mirror answers a
 * tenant's request for an id only when this index names that tenant as its owner: an id with no record belongs
 * to nobody (fail closed). Implementations must be durable (a record returned from {@link #record} survives a
 * restart and a crash) and thread-safe. The shipped one is {@link MvStoreOwnershipIndex}; a cluster puts the
 * same interface on a shared store.
 *
 * <p>{@code kind} is {@link io.claudemirror.exchange.ApiRequest#FILE} or
 * {@link io.claudemirror.exchange.ApiRequest#BATCH}.
 */
public interface OwnershipIndex extends AutoCloseable {

    /**
     * One ownership record.
     *
     * @param expiresAt when the upstream itself forgets the id (then the record is dropped), or null for never
     */
    record Entry(String kind, String id, String tenant, Instant createdAt, Instant expiresAt) {
    }

    /**
     * Records {@code tenant} as the owner of {@code id}, durably, before returning. A second record for the same
     * id replaces the first.
     */
    void record(String tenant, String kind, String id, Instant expiresAt);

    /** The owning tenant's id, or null when there is no live record (unknown, removed, or expired). */
    String owner(String kind, String id);

    /** Every live record, oldest first; for the operator's tool. */
    List<Entry> list();

    /**
     * Sets the owner of {@code id} to {@code tenant}, creating the record when there is none (the operator's
     * recovery path). Returns the previous owner, or null.
     */
    String assign(String kind, String id, String tenant, Instant expiresAt);

    /** Removes the record of {@code id}; returns whether there was one. */
    boolean remove(String kind, String id);

    /** Drops every record expired at {@code now}; returns how many. */
    int sweep(Instant now);

    @Override
    void close();
}
