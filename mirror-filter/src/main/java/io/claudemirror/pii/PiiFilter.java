package io.claudemirror.pii;

import io.claudemirror.MirrorFilter;
import io.claudemirror.MirrorRuntime;
import io.claudemirror.config.MirrorConfig.PiiMode;
import io.claudemirror.config.MirrorConfig.Tenant;
import io.claudemirror.errors.ErrorResponses;
import io.claudemirror.exchange.Exchange;
import io.claudemirror.exchange.RequestBodies;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Locale;
import java.util.StringJoiner;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Scans the user content of {@code POST /v1/messages}, {@code /v1/messages/count_tokens} and
 * {@code /v1/messages/batches} bodies for personal data and secrets (in a batch, every
 * {@code requests[i].params} as a Messages body), and acts by the tenant's {@code pii} mode (else the global
 * {@code pii.mode}):
 * <ul>
 *   <li>{@code off}: nothing is read or scanned.</li>
 *   <li>{@code detect}: findings are counted; not a byte changes.</li>
 *   <li>{@code mask}: each finding becomes its label, e.g. {@code [PHONE]}; irreversible.</li>
 *   <li>{@code redact}: each finding becomes a placeholder such as {@code [PHONE_k3r7wq2mxa]}, put back in this
 *       request's response (JSON and stream, text and tool input) and nowhere else. A batch is masked instead:
 *       its results are fetched later by other requests, so its values could never be put back.</li>
 *   <li>{@code block}: a request with findings gets 400 {@code invalid_request_error} naming the kinds found.</li>
 * </ul>
 * Findings are counted on the Exchange by type ({@code exchange.piiFinding}); values are never logged. A gzip or
 * deflate body is inflated to be scanned (and compressed again if edited). The scan fails closed: a body that
 * is not valid JSON, or compressed in a way it cannot read, gets 400, a scanner failure 500, and neither is
 * forwarded.
 */
public class PiiFilter extends MirrorFilter {
    private static final Logger LOG = LoggerFactory.getLogger(PiiFilter.class);

    private volatile PiiScanner scanner;
    private long maxRequestBytes;

    public PiiFilter() {
    }

    public PiiFilter(MirrorRuntime runtime) {
        super(runtime);
    }

    /** With a host-built scanner (custom detectors or placeholder key). */
    public PiiFilter(MirrorRuntime runtime, PiiScanner scanner) {
        super(runtime);
        this.scanner = scanner;
    }

    @Override
    protected void init(MirrorRuntime runtime) throws ServletException {
        maxRequestBytes = runtime.config().maxRequestBytes();
        if (scanner != null) {
            runtime.service(PiiScanner.class, () -> scanner);
        }
        boolean overridden = runtime.config().tenants().stream().anyMatch(t -> t.pii() != null);
        LOG.info("Claude Mirror PII: mode={}{}", runtime.config().pii().mode().name().toLowerCase(Locale.ROOT),
                overridden ? " (some tenants override it)" : "");
    }

    @Override
    protected void filter(Exchange exchange, HttpServletRequest request, HttpServletResponse response,
                          FilterChain chain) throws IOException, ServletException {
        PiiMode mode = mode(exchange);
        if (mode == PiiMode.OFF || !"POST".equals(request.getMethod()) || !scannedPath(request)) {
            chain.doFilter(request, response);
            return;
        }
        boolean batch = isBatch(request);
        if (batch && mode == PiiMode.REDACT) {
            mode = PiiMode.MASK; // results come back through other requests: placeholders could never be restored
        }
        Body body = body(exchange, request, response);
        if (body == null) {
            return;
        }
        PiiScanner s = scanner(request);
        RequestScrubber.Edit edit = mode == PiiMode.MASK ? RequestScrubber.Edit.MASK
                : mode == PiiMode.REDACT ? RequestScrubber.Edit.REDACT : RequestScrubber.Edit.NONE;
        PlaceholderVault vault = mode == PiiMode.REDACT ? s.newVault(exchange.tenantId()) : null;
        RequestScrubber.Result result;
        try {
            result = RequestScrubber.scrub(s, body.bytes, body.length, edit, vault, batch);
        } catch (IOException e) {
            ErrorResponses.write(response, exchange, 400, ErrorResponses.INVALID_REQUEST,
                    "request body is not valid JSON", 0);
            return;
        } catch (RuntimeException e) {
            // Fail closed: an unscanned body must not leave. Only the exception type is logged: its message
            // could quote the text a detector was looking at.
            LOG.warn("{} PII scan failed ({}); request rejected", exchange.requestId(), e.getClass().getName());
            ErrorResponses.write(response, exchange, 500, ErrorResponses.API_ERROR,
                    "the mirror could not scan this request for personal data, so it was not forwarded", 0);
            return;
        }
        String kinds = record(exchange, s, result);
        if (kinds != null && LOG.isDebugEnabled()) {
            LOG.debug("{} PII {}: {}", exchange.requestId(), mode.name().toLowerCase(Locale.ROOT), kinds);
        }
        if (mode == PiiMode.BLOCK && kinds != null) {
            ErrorResponses.write(response, exchange, 400, ErrorResponses.INVALID_REQUEST,
                    "request contains personal data or secrets (" + kinds + "); remove them and try again", 0);
            return;
        }
        if (result.changed) {
            if (body.codec == null) {
                exchange.body(result.body, result.length);
            } else {
                // Compressed as it came, so the Content-Encoding the proxy forwards stays true.
                byte[] z = body.codec.deflate(result.body, result.length);
                exchange.body(z, z.length);
            }
            if (vault != null && !vault.isEmpty() && !isCountTokens(request)) {
                exchange.transformer(new RestoringTransformer(vault, exchange.requestId()));
            }
        }
        chain.doFilter(request, response);
    }

    /** The body to scan: as read, or inflated when it came gzip/deflate compressed. */
    private record Body(byte[] bytes, int length, CompressedBody codec) {
    }

    /** Reads (and if needed inflates) the body; null after answering with an error. */
    private Body body(Exchange exchange, HttpServletRequest request, HttpServletResponse response) throws IOException {
        byte[] raw;
        try {
            raw = RequestBodies.read(exchange, request, maxRequestBytes);
        } catch (RequestBodies.TooLargeException e) {
            ErrorResponses.write(response, exchange, 413, ErrorResponses.REQUEST_TOO_LARGE, e.getMessage(), 0);
            return null;
        }
        CompressedBody codec;
        try {
            codec = CompressedBody.of(request.getHeader("Content-Encoding"));
        } catch (IOException e) {
            // br, zstd…: not readable here, so not checkable, so not forwarded.
            ErrorResponses.write(response, exchange, 400, ErrorResponses.INVALID_REQUEST, e.getMessage(), 0);
            return null;
        }
        if (codec == null) {
            return new Body(raw, exchange.bodyLength(), null);
        }
        try {
            byte[] inflated = codec.inflate(raw, exchange.bodyLength(), maxRequestBytes);
            return new Body(inflated, inflated.length, codec);
        } catch (CompressedBody.TooLarge e) {
            ErrorResponses.write(response, exchange, 413, ErrorResponses.REQUEST_TOO_LARGE, e.getMessage(), 0);
        } catch (IOException e) {
            ErrorResponses.write(response, exchange, 400, ErrorResponses.INVALID_REQUEST,
                    "request body could not be decompressed", 0);
        }
        return null;
    }

    /** Counts findings on the Exchange; returns the types found ("cn_mobile, email"), or null. */
    private static String record(Exchange exchange, PiiScanner s, RequestScrubber.Result result) {
        StringJoiner kinds = null;
        for (int d = 0; d < result.counts.length; d++) {
            if (result.counts[d] > 0) {
                String type = s.detector(d).type();
                exchange.piiFinding(type, result.counts[d]);
                if (kinds == null) {
                    kinds = new StringJoiner(", ");
                }
                kinds.add(type);
            }
        }
        return kinds == null ? null : kinds.toString();
    }

    private PiiMode mode(Exchange exchange) {
        Tenant t = exchange.tenant();
        if (t != null && t.pii() != null) {
            return t.pii();
        }
        return runtime().config().pii().mode();
    }

    /**
     * The host's scanner if it registered one (constructor, runtime service or ServletContext attribute),
     * else the shipped detectors; resolved once, on the first scanned request, when the context is complete.
     */
    private PiiScanner scanner(HttpServletRequest request) {
        PiiScanner s = scanner;
        if (s == null) {
            Object fromContext = request.getServletContext().getAttribute(PiiScanner.ATTRIBUTE);
            s = runtime().service(PiiScanner.class,
                    () -> fromContext instanceof PiiScanner p ? p : PiiScanner.defaults());
            scanner = s;
        }
        return s;
    }

    /**
     * True for the endpoints whose bodies carry conversation content (messages, count_tokens, batch creation),
     * wherever the mirror is mounted.
     */
    static boolean scannedPath(HttpServletRequest request) {
        String uri = path(request);
        return uri != null && (uri.endsWith("/v1/messages") || uri.endsWith("/v1/messages/count_tokens")
                || uri.endsWith("/v1/messages/batches"));
    }

    /** True for batch creation ({@code /v1/messages/batches} itself, not {@code /batches/{id}/…}). */
    static boolean isBatch(HttpServletRequest request) {
        String uri = path(request);
        return uri != null && uri.endsWith("/v1/messages/batches");
    }

    /** The request path without path parameters or a trailing slash (the query string is never part of it). */
    private static String path(HttpServletRequest request) {
        String uri = request.getRequestURI();
        if (uri == null) {
            return null;
        }
        int semi = uri.indexOf(';'); // a path parameter (";jsessionid=") is not part of the path
        if (semi >= 0) {
            uri = uri.substring(0, semi);
        }
        if (uri.endsWith("/")) {
            uri = uri.substring(0, uri.length() - 1);
        }
        return uri;
    }

    private static boolean isCountTokens(HttpServletRequest request) {
        return request.getRequestURI().contains("/v1/messages/count_tokens");
    }
}
