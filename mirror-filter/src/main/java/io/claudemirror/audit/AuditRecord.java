package io.claudemirror.audit;

import io.claudemirror.config.MirrorConfig.Tenant;
import io.claudemirror.errors.ErrorResponses;
import io.claudemirror.errors.Json;
import io.claudemirror.exchange.ApiRequest;
import io.claudemirror.exchange.Exchange;
import io.claudemirror.exchange.RequestFacts;
import jakarta.servlet.http.HttpServletRequest;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One audit line: metadata of one request, as a single JSON object. By construction it holds no message text,
 * system prompt, tool input or output, key or PII value: only the fields below are ever written, each from
 * the mirror's own bookkeeping or a request line field (method, path, User-Agent), never from a body except the
 * {@code model} and {@code stream} values.
 *
 * <p>Fields: {@code ts} (request arrival, ISO-8601 UTC with milliseconds), {@code requestId} (the id the client
 * saw: the upstream's when proxied, else the mirror's), {@code mirrorRequestId} (the mirror's own, used in its
 * logs), {@code tenant}, {@code method}, {@code path} (no query string), {@code resourceId} (the file or batch id a
 * files or batches call named or created, else null), {@code model}, {@code stream},
 * {@code status}, {@code errorType}, {@code latencyMs}, {@code ttfbMs}, {@code upstream}, {@code attempts},
 * {@code cache} ({@code HIT|MISS|BYPASS}, {@code NONE} when no cache decision was made), {@code inputTokens},
 * {@code outputTokens}, {@code requestBytes}, {@code piiFindings} (counts by type), {@code clientAborted},
 * {@code userAgent}. Unknown values are {@code null}.
 */
public final class AuditRecord {
    static final int MAX_PATH = 1024;
    static final int MAX_MODEL = 128;
    static final int MAX_RESOURCE_ID = 128;
    static final int MAX_USER_AGENT = 256;

    private static final DateTimeFormatter TS =
            DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss", Locale.ROOT).withZone(ZoneOffset.UTC);

    /** The formatted second of the last record: most records of a busy mirror share it, so it is reused. */
    private static volatile Second lastSecond = new Second(Long.MIN_VALUE, "");

    private record Second(long epochSecond, String text) {
    }

    private static final ThreadLocal<StringBuilder> BUILDER = ThreadLocal.withInitial(() -> new StringBuilder(1024));

    private AuditRecord() {
    }

    /**
     * The request-line facts, captured when the request enters the filter: a container may recycle the request
     * object once the response completed, so the completion callback must not read it.
     */
    public record RequestLine(String method, String path, String userAgent) {
        /**
         * The normalised method and path the policies decided on; for a request the front door refused, the
         * refusal's marker instead of the raw spelling (which is the client's text, not a fact).
         */
        public static RequestLine of(Exchange exchange, HttpServletRequest request) {
            ApiRequest api = exchange.api();
            return api == null ? new RequestLine("-", "(refused)", request.getHeader("User-Agent"))
                    : new RequestLine(api.method(), api.path(), request.getHeader("User-Agent"));
        }
    }

    /** {@code 2026-11-27T06:09:18.123Z} */
    static void timestamp(StringBuilder sb, long epochMillis) {
        long second = Math.floorDiv(epochMillis, 1000L);
        Second cached = lastSecond;
        if (cached.epochSecond() != second) {
            cached = new Second(second, TS.format(java.time.Instant.ofEpochSecond(second)));
            lastSecond = cached;
        }
        int millis = (int) Math.floorMod(epochMillis, 1000L);
        sb.append(cached.text()).append('.').append((char) ('0' + millis / 100)).append((char) ('0' + millis / 10 % 10))
                .append((char) ('0' + millis % 10)).append('Z');
    }

    /** The JSON line (without the newline) for {@code ex}, completed at {@code endNanos}. */
    public static String line(Exchange ex, RequestLine req, long endNanos) {
        // One builder per thread, reused: only the finished line is allocated (a typical one is 550–700 chars).
        StringBuilder sb = BUILDER.get();
        if (sb.capacity() > 16 * 1024) {
            sb = new StringBuilder(1024); // a huge line once (long User-Agent, many findings) is not kept for ever
            BUILDER.set(sb);
        }
        sb.setLength(0);
        sb.append("{\"ts\":\"");
        timestamp(sb, ex.startMillis());
        sb.append('"');
        field(sb, "requestId", ex.clientRequestId());
        field(sb, "mirrorRequestId", ex.requestId());
        Tenant tenant = ex.tenant();
        field(sb, "tenant", tenant == null ? null : tenant.id());
        field(sb, "method", req.method());
        field(sb, "path", truncate(req.path(), MAX_PATH));
        field(sb, "resourceId", truncate(ex.resourceId(), MAX_RESOURCE_ID));
        // Facts are read from the body only when the mirror read it; a request rejected before (401) has none.
        RequestFacts facts = ex.hasBody() ? ex.facts() : null;
        field(sb, "model", facts == null ? null : truncate(ex.modelForRecords(), MAX_MODEL));
        sb.append(",\"stream\":").append(facts == null || !facts.valid() ? "null" : Boolean.toString(facts.stream()));
        int status = ex.status();
        number(sb, "status", status > 0 ? status : -1);
        field(sb, "errorType", errorType(ex));
        number(sb, "latencyMs", TimeUnit.NANOSECONDS.toMillis(endNanos - ex.startNanos()));
        long ttfb = ex.timeToFirstByteNanos();
        number(sb, "ttfbMs", ttfb < 0 ? -1 : TimeUnit.NANOSECONDS.toMillis(ttfb));
        field(sb, "upstream", ex.upstream());
        number(sb, "attempts", ex.attempts());
        field(sb, "cache", cache(ex.cacheStatus()));
        number(sb, "inputTokens", ex.usage().inputTokens());
        number(sb, "outputTokens", ex.usage().outputTokens());
        number(sb, "requestBytes", ex.hasBody() ? ex.bodyLength() : -1);
        sb.append(",\"piiFindings\":{");
        boolean first = true;
        for (Map.Entry<String, Integer> f : ex.piiFindings().entrySet()) {
            if (!first) {
                sb.append(',');
            }
            first = false;
            Json.quote(sb, f.getKey());
            sb.append(':').append(f.getValue());
        }
        sb.append('}');
        sb.append(",\"clientAborted\":").append(ex.clientAborted());
        field(sb, "userAgent", truncate(req.userAgent(), MAX_USER_AGENT));
        return sb.append('}').toString();
    }

    /**
     * The Anthropic error type of the outcome: the one the mirror wrote (also for a stream it ended with an error
     * event), else the conventional type of an upstream error status, else null.
     */
    public static String errorType(Exchange ex) {
        String type = ex.errorType();
        if (type != null) {
            return type;
        }
        return ex.status() >= 400 ? ErrorResponses.typeFor(ex.status()) : null;
    }

    /** The cache outcome as the {@code x-mirror-cache} header spells it, or {@code NONE}. */
    static String cache(String status) {
        return status == null || status.isEmpty() ? "NONE" : status.toUpperCase(Locale.ROOT);
    }

    private static void field(StringBuilder sb, String name, String value) {
        sb.append(",\"").append(name).append("\":");
        if (value == null) {
            sb.append("null");
        } else {
            Json.quote(sb, value);
        }
    }

    /** Negative numbers mean unknown and are written as null. */
    private static void number(StringBuilder sb, String name, long value) {
        sb.append(",\"").append(name).append("\":");
        if (value < 0) {
            sb.append("null");
        } else {
            sb.append(value);
        }
    }

    static String truncate(String s, int max) {
        if (s == null || s.length() <= max) {
            return s;
        }
        // Never split a surrogate pair: the line must stay valid UTF-8.
        int end = Character.isHighSurrogate(s.charAt(max - 1)) ? max - 1 : max;
        return s.substring(0, end);
    }
}
