package io.claudemirror.web;

import io.claudemirror.MirrorRuntime;
import io.claudemirror.errors.Json;
import io.claudemirror.routing.UpstreamState;
import jakarta.servlet.ServletConfig;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;

/**
 * {@code GET /health}: overall status and each upstream's state, as JSON. 200 while at least one upstream is
 * healthy ({@code "ok"}, or {@code "degraded"} when some are not), 503 when none is. Never shows credentials.
 */
public class HealthServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;
    private transient MirrorRuntime runtime;

    public HealthServlet() {
    }

    public HealthServlet(MirrorRuntime runtime) {
        this.runtime = runtime;
    }

    @Override
    public void init(ServletConfig config) throws ServletException {
        super.init(config);
        if (runtime == null) {
            runtime = MirrorRuntime.from(config.getServletContext());
        }
    }

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        // Without admin rights only the overall state: upstream addresses, counts and failure reasons are the
        // operator's business.
        boolean details = AdminGate.allowed(runtime, req);
        StringBuilder sb = new StringBuilder(256);
        int healthy = 0;
        int total = 0;
        sb.append("\"upstreams\":[");
        for (UpstreamState s : runtime.upstreams().states()) {
            if (total++ > 0) {
                sb.append(',');
            }
            boolean ok = s.healthy();
            if (ok) {
                healthy++;
            }
            sb.append("{\"name\":");
            Json.quote(sb, s.upstream().name());
            sb.append(",\"url\":");
            Json.quote(sb, s.upstream().url().getScheme() + "://" + s.upstream().url().getAuthority());
            sb.append(",\"backup\":").append(s.upstream().backup());
            sb.append(",\"healthy\":").append(ok);
            sb.append(",\"requests\":").append(s.requests());
            sb.append(",\"failures\":").append(s.failures());
            sb.append(",\"consecutiveFailures\":").append(s.consecutiveFailures());
            sb.append(",\"lastSuccess\":").append(time(s.lastSuccessMillis()));
            sb.append(",\"lastFailure\":").append(time(s.lastFailureMillis()));
            // Routing state (issue 10): region, breaker, latency, load and quota pause.
            sb.append(",\"region\":");
            Json.quote(sb, s.region());
            sb.append(",\"breaker\":\"").append(s.breakerState().name().toLowerCase(java.util.Locale.ROOT)).append('"');
            sb.append(",\"latencyEwmaMs\":").append(Math.round(s.latencyEwmaMillis() * 10) / 10.0);
            sb.append(",\"inFlight\":").append(s.inFlight());
            sb.append(",\"paused\":").append(s.paused());
            sb.append(",\"pausedUntil\":").append(time(s.pausedUntilMillis()));
            sb.append(",\"quotaHits\":").append(s.quotaHits());
            sb.append(",\"pacingRefusals\":").append(s.pacingRefusals());
            sb.append(",\"lastFailureReason\":");
            if (s.lastFailure() == null) {
                sb.append("null");
            } else {
                Json.quote(sb, s.lastFailure());
            }
            sb.append('}');
        }
        sb.append("]}");
        String status = healthy == total ? "ok" : healthy > 0 ? "degraded" : "down";
        String body = details ? "{\"status\":\"" + status + "\"," + sb : "{\"status\":\"" + status + "\"}";
        resp.setStatus(healthy > 0 ? 200 : 503);
        resp.setContentType("application/json");
        resp.setHeader("Cache-Control", "no-store");
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        resp.setContentLength(bytes.length);
        resp.getOutputStream().write(bytes);
    }

    private static String time(long millis) {
        return millis == 0 ? "null" : "\"" + Instant.ofEpochMilli(millis) + "\"";
    }
}
