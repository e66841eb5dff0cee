package io.claudemirror.pii;

import io.claudemirror.MirrorFilter;
import io.claudemirror.MirrorRuntime;
import io.claudemirror.config.MirrorConfig.PiiMode;
import io.claudemirror.config.MirrorConfig.Tenant;
import io.claudemirror.errors.ErrorResponses;
import io.claudemirror.exchange.Exchange;
import io.claudemirror.exchange.Endpoint;
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
 * deflate body was inflated once by the front door; an edited body goes upstream decoded. The scan fails closed:
 * a body that is not valid JSON gets 400, a scanner failure 500, and neither is forwarded. A body of an endpoint
 * the mirror does not know has every string scanned (and masked rather than redacted); one that is not JSON is
 * refused with 415 unless the mode only detects.
 */
public class PiiFilter extends MirrorFilter {
    private static final Logger LOG = LoggerFactory.getLogger(PiiFilter.class);

    private volatile PiiScanner scanner;

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
        RequestScrubber.Shape shape = mode == PiiMode.OFF ? null : shape(exchange.api().endpoint());
        if (shape == null || exchange.bodyLength() <= 0) {
            chain.doFilter(request, response);
            return;
        }
        if (shape == RequestScrubber.Shape.ANY && !exchange.facts().valid()) {
            // A body of unknown shape that is not JSON cannot be scanned; forwarding it would skip the policy.
            if (mode != PiiMode.DETECT) {
                ErrorResponses.write(response, exchange, 415, ErrorResponses.INVALID_REQUEST,
                        "this mirror checks request bodies for personal data and cannot read a non-JSON body on "
                                + "this endpoint; send JSON", 0);
                return;
            }
            chain.doFilter(request, response);
            return;
        }
        PiiScanner s = scanner(request);
        String model = exchange.facts().model();
        java.util.List<PiiFinding> inModel = model == null ? java.util.List.of() : s.scan(model);
        if (!inModel.isEmpty()) {
            // A model name cannot be redacted and restored; one that carries personal data is refused whatever
            // the mode, and kept out of the audit log.
            exchange.withholdModel();
            exchange.piiFinding(inModel.get(0).type(), 1);
            ErrorResponses.write(response, exchange, 400, ErrorResponses.INVALID_REQUEST,
                    "the model field contains personal data or a secret", 0);
            return;
        }
        RequestScrubber.Edit edit = mode == PiiMode.MASK ? RequestScrubber.Edit.MASK
                : mode == PiiMode.REDACT ? RequestScrubber.Edit.REDACT : RequestScrubber.Edit.NONE;
        // Batches and unknown endpoints are masked instead of redacted: their answers come back through other
        // requests (or not at all), so placeholders could never be restored.
        PlaceholderVault vault = edit == RequestScrubber.Edit.REDACT && shape == RequestScrubber.Shape.MESSAGES
                ? s.newVault(exchange.tenantId()) : null;
        RequestScrubber.Result result;
        try {
            result = RequestScrubber.scrub(s, exchange.body(), exchange.bodyLength(), edit, vault, shape);
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
            // The edited body goes upstream decoded (the proxy drops the Content-Encoding it arrived with).
            exchange.body(result.body, result.length);
            if (vault != null && !vault.isEmpty() && exchange.api().endpoint() == Endpoint.MESSAGES) {
                exchange.transformer(new RestoringTransformer(vault, exchange.requestId()));
            }
        }
        chain.doFilter(request, response);
    }

    /**
     * Which strings of the body carry user content, by endpoint: Messages-shaped bodies their content, batch
     * creation every request's; any other body (an endpoint newer than this code, an odd method on a known path)
     * is of a shape the mirror does not know, so every string. Null only for a multipart file upload: that body
     * is the file itself, not scanned (docs/pii.md).
     */
    static RequestScrubber.Shape shape(Endpoint endpoint) {
        switch (endpoint) {
            case MESSAGES:
            case COUNT_TOKENS:
                return RequestScrubber.Shape.MESSAGES;
            case BATCH_CREATE:
                return RequestScrubber.Shape.BATCH;
            case FILE_UPLOAD:
                return null;
            default:
                return RequestScrubber.Shape.ANY;
        }
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
}
