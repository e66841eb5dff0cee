package io.claudemirror.web;

import io.claudemirror.MirrorRuntime;
import io.claudemirror.metrics.StatusSnapshot;
import jakarta.servlet.ServletConfig;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * {@code GET {mountPath}/mirror/status}: the operator's page, one self-contained HTML file (no external asset,
 * works offline) that polls {@code {mountPath}/mirror/status.json} ({@link StatusSnapshot}) every two seconds.
 * Map it to both paths. Admin only ({@link AdminGate}); others get 401 with the Anthropic envelope and a Basic challenge, so a browser
 * asks for the admin key.
 */
public class StatusServlet extends HttpServlet {
    /** The JSON path, relative to the page's: {@code status.json} beside {@code status}. */
    public static final String JSON_SUFFIX = ".json";

    private static final long serialVersionUID = 1L;
    private transient MirrorRuntime runtime;
    private transient byte[] page;

    public StatusServlet() {
    }

    public StatusServlet(MirrorRuntime runtime) {
        this.runtime = runtime;
    }

    @Override
    public void init(ServletConfig config) throws ServletException {
        super.init(config);
        if (runtime == null) {
            runtime = MirrorRuntime.from(config.getServletContext());
        }
        try (InputStream in = StatusServlet.class.getResourceAsStream("status.html")) {
            if (in == null) {
                throw new ServletException("status.html is missing from the mirror's jar");
            }
            page = in.readAllBytes();
        } catch (IOException e) {
            throw new ServletException("cannot read status.html", e);
        }
    }

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        if (!AdminGate.allowed(runtime, req)) {
            AdminGate.deny(resp);
            return;
        }
        boolean json = req.getServletPath().endsWith(JSON_SUFFIX) || req.getRequestURI().endsWith(JSON_SUFFIX);
        byte[] body = json ? StatusSnapshot.json(runtime).getBytes(StandardCharsets.UTF_8) : page;
        resp.setStatus(200);
        resp.setContentType(json ? "application/json" : "text/html;charset=utf-8");
        resp.setHeader("Cache-Control", "no-store");
        // The page loads nothing from elsewhere; say so, so an injected script could not either.
        resp.setHeader("Content-Security-Policy", "default-src 'none'; script-src 'unsafe-inline'; "
                + "style-src 'unsafe-inline'; connect-src 'self'; img-src data:");
        resp.setHeader("X-Content-Type-Options", "nosniff");
        resp.setContentLength(body.length);
        resp.getOutputStream().write(body);
    }
}
