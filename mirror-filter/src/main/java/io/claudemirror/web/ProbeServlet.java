package io.claudemirror.web;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

/**
 * Answers Claude Code's connection probe {@code HEAD {mountPath}/api/hello} with 200 and no body. The probe
 * carries no credential, so it is mapped outside the authenticated {@code /v1/*} path.
 */
public class ProbeServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;

    @Override
    protected void doHead(HttpServletRequest req, HttpServletResponse resp) {
        resp.setStatus(200);
        resp.setContentLength(0);
    }

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) {
        doHead(req, resp);
    }
}
