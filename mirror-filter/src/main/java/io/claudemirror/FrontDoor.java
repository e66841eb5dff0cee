package io.claudemirror;

import io.claudemirror.errors.ErrorResponses;
import io.claudemirror.exchange.ApiRequest.Refusal;
import io.claudemirror.exchange.Exchange;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one Exchange protocol every mirror component follows, filter or servlet: open the request's Exchange (the
 * first component to see a request normalises and classifies it there), make sure what the component needs is
 * in (the classified request line; the body, read and decoded once), run the component, turn a runtime failure
 * into the Anthropic envelope, and, when this component created the Exchange, arm its completion afterwards.
 * A request whose line or body is refused gets its envelope from the first component that needs those facts
 * and goes no further; components that only observe (audit, metrics) still see it, so it is recorded.
 */
public final class FrontDoor {
    private static final Logger LOG = LoggerFactory.getLogger(FrontDoor.class);

    /** What a component needs before it runs. */
    public enum Needs {
        /** Nothing: it observes every request, refused ones included (audit, metrics). */
        NOTHING,
        /** A classified request line (auth: no body is read for a caller without a key). */
        LINE,
        /** The line and the whole body, read and decoded, before any slot or permit is taken. */
        BODY
    }

    /** A component's work on one request. */
    @FunctionalInterface
    public interface Work {
        void run(Exchange exchange) throws IOException, ServletException;
    }

    private FrontDoor() {
    }

    public static void enter(MirrorRuntime runtime, HttpServletRequest request, HttpServletResponse response,
                             Needs needs, String component, Work work) throws IOException, ServletException {
        boolean owner = Exchange.isNew(request);
        Exchange exchange = Exchange.open(request, runtime.config());
        try {
            if (needs != Needs.NOTHING) {
                Refusal refusal = exchange.refusal();
                if (refusal == null && needs == Needs.BODY) {
                    refusal = exchange.readBody();
                }
                if (refusal != null) {
                    if (LOG.isDebugEnabled()) {
                        LOG.debug("{} refused by the front door: {} {}", exchange.requestId(), refusal.status(),
                                refusal.message());
                    }
                    ErrorResponses.write(response, exchange, refusal.status(), refusal.errorType(), refusal.message(), 0);
                    return;
                }
            }
            work.run(exchange);
        } catch (RuntimeException e) {
            // Never the container's HTML error page: a client SDK must get the envelope it can parse.
            LOG.error("{} {} failed", exchange.requestId(), component, e);
            if (!request.isAsyncStarted()) {
                ErrorResponses.write(response, exchange, 500, ErrorResponses.API_ERROR, "internal error in the mirror", 0);
            }
        } finally {
            if (owner) {
                exchange.arm(request, response);
            }
        }
    }
}
