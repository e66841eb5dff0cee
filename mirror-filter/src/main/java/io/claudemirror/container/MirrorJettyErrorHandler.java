package io.claudemirror.container;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.eclipse.jetty.http.HttpException;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.http.HttpURI;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

/**
 * Jetty 12's error page, with the Anthropic envelope for the mirror's paths: requests that Jetty refuses before any
 * servlet runs (an ambiguous path such as {@code /v1/%2e%2e/x} or {@code //v1/messages}, a bad escape such as
 * {@code /v1/%zz}, a header line over the limit) get
 * {@code {"type":"error","error":{"type":"invalid_request_error",…},"request_id":"req_…"}} with
 * {@code content-type: application/json} and a {@code request-id} header, so an SDK can parse them. Every other
 * path keeps Jetty's own page, except a request so malformed that Jetty kept no path of it (then the envelope
 * too: it may have been the mirror's). Install it on the server, which answers for requests no context took:
 * <pre>{@code
 * server.setErrorHandler(new MirrorJettyErrorHandler(config.mountPath()));
 * }</pre>
 * and, to cover errors raised inside a web application (ee10 {@code sendError} from the container), on the context
 * too ({@code context.setErrorHandler(…)}); see docs/deployment.md.
 */
public class MirrorJettyErrorHandler extends ErrorHandler {
    private final String mountPath;

    /** For the default mount ({@code /v1}). */
    public MirrorJettyErrorHandler() {
        this("");
    }

    /** @param mountPath the configuration's {@code mountPath} ({@code ""} or like {@code /claude}) */
    public MirrorJettyErrorHandler(String mountPath) {
        this.mountPath = mountPath == null ? "" : mountPath;
    }

    public String getMountPath() {
        return mountPath;
    }

    /** Installs a handler for {@code mountPath} as {@code server}'s error handler and returns it. */
    public static MirrorJettyErrorHandler install(Server server, String mountPath) {
        MirrorJettyErrorHandler handler = new MirrorJettyErrorHandler(mountPath);
        server.setErrorHandler(handler);
        return handler;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
        if (!ContainerErrors.underMount(rawPath(request), mountPath) && !pathUnknown(request)) {
            return super.handle(request, response, callback);
        }
        int status = response.getStatus();
        if (request.getAttribute(ERROR_STATUS) instanceof Integer code) {
            status = code;
        }
        if (request.getAttribute(ERROR_EXCEPTION) instanceof HttpException http) {
            status = http.getCode();
        }
        if (status < 400) {
            // Jetty calls its error handler for failures; a failure without a status is the server's own fault.
            status = HttpStatus.INTERNAL_SERVER_ERROR_500;
        }
        response.setStatus(status);
        String requestId = ContainerErrors.newRequestId();
        response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
        response.getHeaders().put("request-id", requestId);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        if (HttpStatus.hasNoBody(status) || "HEAD".equalsIgnoreCase(request.getMethod())) {
            callback.succeeded();
            return true;
        }
        byte[] body = ContainerErrors.envelope(status, requestId).getBytes(StandardCharsets.UTF_8);
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.length);
        response.write(true, ByteBuffer.wrap(body), callback);
        return true;
    }

    /**
     * Whether Jetty refused the request before it had a usable path: its HTTP/1 parser then stands in
     * {@code /badMessage} (or {@code /badURI}) for the target, e.g. for {@code /v1/%zz} or a request line over the
     * limit. Such a request may well have been the mirror's, and a client that sends one is more likely an SDK than
     * a browser, so it gets the envelope whatever it aimed at.
     */
    private static boolean pathUnknown(Request request) {
        if (!(request.getAttribute(ERROR_EXCEPTION) instanceof HttpException)) {
            return false;
        }
        String path = rawPath(request);
        return path == null || path.equals("/badMessage") || path.equals("/badURI");
    }

    /** The path as the client spelt it; a URI Jetty could not parse may still carry its path, or nothing. */
    private static String rawPath(Request request) {
        try {
            HttpURI uri = request.getHttpURI();
            if (uri == null) {
                return null;
            }
            String path = uri.getPath();
            return path != null ? path : uri.toString();
        } catch (RuntimeException e) {
            return null;
        }
    }
}
