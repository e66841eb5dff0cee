package io.claudemirror.ratelimit;

import jakarta.servlet.http.HttpServletRequest;

/**
 * What a request costs against the tenant's limits. Only {@code POST …/v1/messages} generates tokens; the
 * others count only as requests. Batches are billed and limited separately by Anthropic, so they count as one
 * request each here too, but their models are still checked against the allow-list.
 */
enum ApiCall {
    /** {@code POST /v1/messages}: a request, input and output tokens, a concurrency permit. */
    MESSAGES,
    /** {@code POST /v1/messages/count_tokens}: a request; carries a model. */
    COUNT_TOKENS,
    /** {@code POST /v1/messages/batches}: a request; carries models in {@code requests[].params}. */
    MESSAGE_BATCH,
    /** Everything else (models, files, batch results…): a request. */
    OTHER;

    static ApiCall of(HttpServletRequest request) {
        if (!"POST".equals(request.getMethod())) {
            return OTHER;
        }
        // The URI includes the host's context path and the mirror's mountPath; only the API path's end matters.
        String uri = request.getRequestURI();
        if (uri.endsWith("/v1/messages")) {
            return MESSAGES;
        }
        if (uri.endsWith("/v1/messages/count_tokens")) {
            return COUNT_TOKENS;
        }
        if (uri.endsWith("/v1/messages/batches")) {
            return MESSAGE_BATCH;
        }
        return OTHER;
    }

    /** True when the body names the model(s) the request will use. */
    boolean carriesModel() {
        return this != OTHER;
    }
}
