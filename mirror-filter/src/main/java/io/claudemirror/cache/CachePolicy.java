package io.claudemirror.cache;

import io.claudemirror.config.MirrorConfig.CacheMessages;
import io.claudemirror.exchange.ApiRequest;
import io.claudemirror.exchange.Endpoint;
import io.claudemirror.exchange.RequestFacts;
import java.util.Locale;

/**
 * Whether and how a request may use the cache. Cacheable are {@code GET /v1/models}, {@code GET /v1/models/{id}},
 * {@code POST /v1/messages/count_tokens}, and {@code POST /v1/messages} by {@code cache.messages}: never
 * ({@code off}), on request ({@code deterministic}: the header {@code x-mirror-cache: use}, or
 * {@code temperature: 0} in the body), or always ({@code all}). Then the client decides:
 * {@code cache-control: no-cache} skips the lookup but stores the fresh answer; {@code no-store} and
 * {@code x-mirror-cache: bypass} skip both.
 */
public final class CachePolicy {
    /** What the cache does for one request. */
    public enum Decision {
        /** Not cacheable: the cache stays out of it (no header, audit {@code NONE}). */
        NONE,
        /** Look up, else go upstream (sharing the call with identical requests) and store. */
        USE,
        /** {@code no-cache}: go upstream, store the answer ({@code BYPASS}). */
        REFRESH,
        /** {@code no-store} or {@code x-mirror-cache: bypass}: neither lookup nor store ({@code BYPASS}). */
        REFUSE
    }

    private CachePolicy() {
    }

    /**
     * @param mirrorHeader    the request's {@code x-mirror-cache}, or null
     * @param cacheControl    the request's {@code cache-control}, or null
     */
    public static Decision decide(ApiRequest api, RequestFacts facts, CacheMessages messages, String mirrorHeader,
                                  String cacheControl) {
        if (api == null || !cacheable(api, facts, messages, mirrorHeader)) {
            return Decision.NONE;
        }
        if (mirrorHeader != null && "bypass".equalsIgnoreCase(mirrorHeader.trim())) {
            return Decision.REFUSE;
        }
        if (cacheControl != null) {
            String cc = cacheControl.toLowerCase(Locale.ROOT);
            if (cc.contains("no-store")) {
                return Decision.REFUSE;
            }
            if (cc.contains("no-cache")) {
                return Decision.REFRESH;
            }
        }
        return Decision.USE;
    }

    private static boolean cacheable(ApiRequest api, RequestFacts facts, CacheMessages messages, String mirrorHeader) {
        Endpoint e = api.endpoint();
        if (e == Endpoint.MODEL_LIST || e == Endpoint.MODEL) {
            return "GET".equals(api.method());
        }
        if (e != Endpoint.COUNT_TOKENS && e != Endpoint.MESSAGES) {
            return false;
        }
        if (facts == null || !facts.valid()) {
            return false; // the upstream's 400 is not worth keeping
        }
        if (e == Endpoint.COUNT_TOKENS) {
            return true;
        }
        switch (messages) {
            case ALL:
                return true;
            case DETERMINISTIC:
                return mirrorHeader != null && "use".equalsIgnoreCase(mirrorHeader.trim())
                        || facts.hasTemperature() && facts.temperature() == 0;
            default:
                return false;
        }
    }
}
