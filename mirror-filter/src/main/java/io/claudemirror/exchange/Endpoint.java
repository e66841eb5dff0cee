package io.claudemirror.exchange;

/**
 * What an API request is, decided once from its canonical method and normalised path (see {@link ApiRequest}).
 * Every policy (limits, allow-list, PII, cache, ownership) switches on this, never on the raw URI.
 */
public enum Endpoint {
    /** {@code POST /v1/messages}: generates tokens. */
    MESSAGES,
    /** {@code POST /v1/messages/count_tokens}. */
    COUNT_TOKENS,
    /** {@code POST /v1/messages/batches} (create). */
    BATCH_CREATE,
    /** {@code GET /v1/messages/batches} (list). */
    BATCH_LIST,
    /** {@code GET} or {@code DELETE /v1/messages/batches/{id}}. */
    BATCH,
    /** {@code POST /v1/messages/batches/{id}/cancel}. */
    BATCH_CANCEL,
    /** {@code GET /v1/messages/batches/{id}/results}. */
    BATCH_RESULTS,
    /** {@code GET /v1/models}. */
    MODEL_LIST,
    /** {@code GET /v1/models/{id}}. */
    MODEL,
    /** {@code POST /v1/files} (multipart upload). */
    FILE_UPLOAD,
    /** {@code GET /v1/files} (list). */
    FILE_LIST,
    /** {@code GET} or {@code DELETE /v1/files/{id}}. */
    FILE,
    /** {@code GET /v1/files/{id}/content}. */
    FILE_CONTENT,
    /** Any other path under {@code /v1} (the API grows): passed, but treated conservatively. */
    OTHER;

    /** True for the endpoints whose body is a Messages request (or holds some, for a batch). */
    public boolean carriesModel() {
        return this == MESSAGES || this == COUNT_TOKENS || this == BATCH_CREATE;
    }

    /** True for the endpoints that address one file or one batch by id. */
    public boolean addressesResource() {
        return this == BATCH || this == BATCH_CANCEL || this == BATCH_RESULTS || this == FILE
                || this == FILE_CONTENT;
    }

    /** True when the id in {@link ApiRequest#resourceId()} is a file id (else a batch id). */
    public boolean isFileResource() {
        return this == FILE || this == FILE_CONTENT;
    }

    static Endpoint classify(String method, String[] seg, int from, int n) {
        // seg[from] is "v1"; the rest of the segments decide.
        int rest = n - from - 1;
        if (rest <= 0) {
            return OTHER;
        }
        String a = seg[from + 1];
        boolean get = "GET".equals(method) || "HEAD".equals(method);
        boolean post = "POST".equals(method);
        switch (a) {
            case "messages":
                if (rest == 1) {
                    return post ? MESSAGES : OTHER;
                }
                String b = seg[from + 2];
                if (rest == 2 && "count_tokens".equals(b)) {
                    return post ? COUNT_TOKENS : OTHER;
                }
                if (!"batches".equals(b)) {
                    return OTHER;
                }
                if (rest == 2) {
                    return post ? BATCH_CREATE : get ? BATCH_LIST : OTHER;
                }
                if (rest == 3) {
                    return get || "DELETE".equals(method) ? BATCH : OTHER;
                }
                if (rest == 4) {
                    String c = seg[from + 4];
                    if ("cancel".equals(c) && post) {
                        return BATCH_CANCEL;
                    }
                    if ("results".equals(c) && get) {
                        return BATCH_RESULTS;
                    }
                }
                return OTHER;
            case "models":
                if (!get) {
                    return OTHER;
                }
                return rest == 1 ? MODEL_LIST : rest == 2 ? MODEL : OTHER;
            case "files":
                if (rest == 1) {
                    return post ? FILE_UPLOAD : get ? FILE_LIST : OTHER;
                }
                if (rest == 2) {
                    return get || "DELETE".equals(method) ? FILE : OTHER;
                }
                if (rest == 3 && "content".equals(seg[from + 3]) && get) {
                    return FILE_CONTENT;
                }
                return OTHER;
            default:
                return OTHER;
        }
    }
}
