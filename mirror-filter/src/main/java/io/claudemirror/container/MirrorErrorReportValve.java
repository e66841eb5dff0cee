package io.claudemirror.container;

import io.claudemirror.errors.ErrorResponses;
import jakarta.servlet.ServletException;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.catalina.Context;
import org.apache.catalina.Host;
import org.apache.catalina.Lifecycle;
import org.apache.catalina.Pipeline;
import org.apache.catalina.Valve;
import org.apache.catalina.connector.Request;
import org.apache.catalina.connector.Response;
import org.apache.catalina.core.StandardHost;
import org.apache.catalina.valves.ErrorReportValve;
import org.apache.coyote.ActionCode;

/**
 * Tomcat's error report valve, with the Anthropic envelope for the mirror's paths: an error Tomcat produces itself
 * for a request under the mount (a URI it cannot decode such as {@code /v1/%zz}, a path it refuses, a request no
 * servlet maps, a request line Tomcat could not parse at all) is answered with
 * {@code {"type":"error","error":{…},"request_id":"req_…"}}, {@code content-type: application/json} and a
 * {@code request-id} header instead of the HTML report. Every other path keeps the HTML report (with this valve's
 * {@code showReport}/{@code showServerInfo}). Responses the mirror wrote itself are never touched: the valve only
 * answers when Tomcat flagged an error ({@code sendError} or an exception) and nothing was written yet.
 * <p>
 * One refusal is the valve's own: a path spelt under the mount that Tomcat's normalisation moves out of it
 * ({@code /v1/%2e%2e/health} is served as {@code /health}, {@code /v1/../x} as {@code /x}) gets a 400 envelope
 * before any servlet runs, as Jetty refuses the same spelling, so the mount never answers for the host's paths.
 * <p>
 * Install it in place of the host's valve: in {@code server.xml},
 * {@code <Host errorReportValveClass="io.claudemirror.container.MirrorErrorReportValve" …>} for the default
 * mount, or {@code <Valve className="io.claudemirror.container.MirrorErrorReportValve" mountPath="/claude"/>}
 * inside the {@code Host} for another; in embedded Tomcat and Spring Boot, {@link #install(Host, String)}.
 * <p>
 * An application with a catch-all error page (Spring Boot's {@code /error}, a {@code <error-page>} without code in
 * web.xml) answers Tomcat's {@code sendError} before the host's valve is asked, e.g. the 408 Tomcat sends itself
 * when a blocking body read times out. For those, {@link #installOnContext(Context, String)} adds a second instance
 * to the context's pipeline that answers for the mount only, before the application's error page is looked up.
 */
public class MirrorErrorReportValve extends ErrorReportValve {
    private volatile String mountPath = "";
    private volatile boolean mountOnly;

    public String getMountPath() {
        return mountPath;
    }

    /** The configuration's {@code mountPath}: {@code ""} (the default: {@code /v1} is the mirror's) or like {@code /claude}. */
    public void setMountPath(String mountPath) {
        this.mountPath = mountPath == null ? "" : mountPath;
    }

    public boolean isMountOnly() {
        return mountOnly;
    }

    /** True: leave every path outside the mount alone, even without a page (for a context's pipeline). */
    public void setMountOnly(boolean mountOnly) {
        this.mountOnly = mountOnly;
    }

    /**
     * Adds a mount-only valve for {@code mountPath} to {@code context}'s pipeline, so that Tomcat's own errors under
     * the mount get the envelope even when the application has a catch-all error page. Call it before the context
     * starts.
     */
    public static MirrorErrorReportValve installOnContext(Context context, String mountPath) {
        MirrorErrorReportValve valve = new MirrorErrorReportValve();
        valve.setMountPath(mountPath);
        valve.setMountOnly(true);
        context.getPipeline().addValve(valve);
        return valve;
    }

    /**
     * Puts a valve for {@code mountPath} into {@code host}'s pipeline in place of any other {@link ErrorReportValve}
     * (copying its {@code showReport}/{@code showServerInfo}, so the host's own pages look as before), now and
     * again just before the host starts, since a framework may add its own valve after this call (Spring Boot does,
     * from a context customizer). Call it before the host starts.
     */
    public static MirrorErrorReportValve install(Host host, String mountPath) {
        MirrorErrorReportValve valve = new MirrorErrorReportValve();
        valve.setMountPath(mountPath);
        if (host instanceof StandardHost standard) {
            // Otherwise the starting host adds a plain ErrorReportValve of its own.
            standard.setErrorReportValveClass(MirrorErrorReportValve.class.getName());
        }
        valve.replaceIn(host.getPipeline());
        host.addLifecycleListener(event -> {
            if (Lifecycle.BEFORE_START_EVENT.equals(event.getType())) {
                valve.replaceIn(host.getPipeline());
            }
        });
        return valve;
    }

    private void replaceIn(Pipeline pipeline) {
        boolean present = false;
        for (Valve v : pipeline.getValves()) {
            if (v == this) {
                present = true;
            } else if (v instanceof ErrorReportValve other && !(v instanceof MirrorErrorReportValve mine && mine.mountOnly)) {
                setShowReport(other.isShowReport());
                setShowServerInfo(other.isShowServerInfo());
                pipeline.removeValve(v);
            }
        }
        if (!present) {
            pipeline.addValve(this);
        }
    }

    @Override
    public void invoke(Request request, Response response) throws IOException, ServletException {
        if (ContainerErrors.escapesMount(request.getRequestURI(), request.getDecodedRequestURI(), mountPath)) {
            String requestId = ContainerErrors.newRequestId();
            byte[] body = ErrorResponses.envelope(ErrorResponses.INVALID_REQUEST,
                    "The path leaves the API once its dot segments are resolved.", requestId)
                    .getBytes(StandardCharsets.UTF_8);
            response.setStatus(400);
            response.setContentType("application/json");
            response.setHeader("request-id", requestId);
            response.setHeader("cache-control", "no-store");
            response.setContentLength(body.length);
            response.getOutputStream().write(body);
            response.finishResponse();
            return;
        }
        if (mountOnly && !ContainerErrors.underMount(request.getRequestURI(), mountPath)) {
            getNext().invoke(request, response);
            return;
        }
        super.invoke(request, response);
    }

    @Override
    protected void report(Request request, Response response, Throwable throwable) {
        String uri = request.getRequestURI();
        // An empty URI: Tomcat could not parse the request line (too long, illegal characters), so the path is
        // unknown; it may have been the mirror's, and the envelope is readable by anyone.
        boolean unknown = uri == null || uri.isEmpty();
        if (!unknown && !ContainerErrors.underMount(uri, mountPath)) {
            if (!mountOnly) {
                super.report(request, response, throwable);
            }
            return;
        }
        int status = response.getStatus();
        // isError: Tomcat itself (or sendError) flagged this response; a status the mirror set on a response it
        // answers itself, even without a body, is the mirror's answer and stays as it is.
        if (status < 400 || !(response.isError() || throwable != null) || response.getContentWritten() > 0
                || !response.setErrorReported()) {
            return;
        }
        AtomicBoolean ioAllowed = new AtomicBoolean(false);
        response.getCoyoteResponse().action(ActionCode.IS_IO_ALLOWED, ioAllowed);
        if (!ioAllowed.get()) {
            return;
        }
        String requestId = ContainerErrors.newRequestId();
        try {
            response.setContentType("application/json");
            response.setCharacterEncoding("UTF-8");
            response.setHeader("request-id", requestId);
            response.setHeader("cache-control", "no-store");
            Writer writer = response.getReporter();
            if (writer != null) {
                writer.write(ContainerErrors.envelope(status, requestId));
                response.finishResponse();
            }
        } catch (IOException | IllegalStateException e) {
            // The client is gone or the response was committed meanwhile; there is no one left to tell.
            container.getLogger().debug("could not write the error envelope", e);
        }
    }
}
