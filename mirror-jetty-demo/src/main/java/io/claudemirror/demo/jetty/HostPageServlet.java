package io.claudemirror.demo.jetty;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * The host application's own page at {@code /}: it stands for the existing app the mirror is mounted into. Mapped
 * as the default servlet, so it also answers every path nobody else claims, with a plain 404.
 */
public class HostPageServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;

    static final String PAGE = """
            <!doctype html>
            <html lang="en">
            <head><meta charset="utf-8"><title>Acme host app</title></head>
            <body>
            <h1>Acme host app — the Claude mirror lives at /v1</h1>
            <p>This page belongs to the host application. The mirror was added to it through
            <code>WEB-INF/web.xml</code>: point an Anthropic SDK or Claude Code at this server's base URL.</p>
            <ul>
              <li><a href="health">/health</a> — the mirror's upstream health (JSON)</li>
              <li><a href="metrics">/metrics</a> — metrics (Prometheus text)</li>
              <li><a href="mirror/status">/mirror/status</a> — the mirror's status page (admin)</li>
            </ul>
            </body>
            </html>
            """;

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        if (!"/".equals(req.getServletPath())) {
            resp.sendError(HttpServletResponse.SC_NOT_FOUND);
            return;
        }
        byte[] body = PAGE.getBytes(StandardCharsets.UTF_8);
        resp.setContentType("text/html;charset=utf-8");
        resp.setContentLength(body.length);
        resp.getOutputStream().write(body);
    }
}
