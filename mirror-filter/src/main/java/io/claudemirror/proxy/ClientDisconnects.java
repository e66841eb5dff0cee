package io.claudemirror.proxy;

import jakarta.servlet.http.HttpServletRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Notices a client that leaves before the mirror has written it a byte, so the upstream call it asked for is
 * cancelled and its pacing slot and permits come back. The Servlet API has no such notification for HTTP/1
 * (the container is not reading the connection while the request waits); what each container offers:
 * <ul>
 *   <li><b>Jetty 12</b>: the request's failure listener and its connection's close listener
 *       ({@code Request.addFailureListener}, {@code Connection.Listener.onClosed}), used here when Jetty's
 *       servlet classes are present;</li>
 *   <li><b>Tomcat</b>: {@code AsyncListener.onError} when the container sees the failure (always wired by
 *       the proxy); no earlier signal exists without reading the socket.</li>
 * </ul>
 * During a stream any container notices on the next write, which aborts the upstream too.
 */
final class ClientDisconnects {
    private static final Logger LOG = LoggerFactory.getLogger(ClientDisconnects.class);
    private static final boolean JETTY = present("org.eclipse.jetty.ee10.servlet.ServletContextRequest");

    private ClientDisconnects() {
    }

    /** Calls {@code onGone} (at most once per source) when the container reports the client gone. */
    static void watch(HttpServletRequest request, Runnable onGone) {
        if (JETTY) {
            try {
                JettyWatch.watch(request, onGone);
            } catch (RuntimeException | LinkageError e) {
                // Not a Jetty request after all (another container with Jetty on its class path).
                LOG.trace("no Jetty disconnect notification for this request", e);
            }
        }
    }

    private static boolean present(String className) {
        try {
            Class.forName(className, false, ClientDisconnects.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }

    /** Loaded only when Jetty's classes are there. */
    private static final class JettyWatch {
        static void watch(HttpServletRequest request, Runnable onGone) {
            org.eclipse.jetty.server.Request core =
                    org.eclipse.jetty.ee10.servlet.ServletContextRequest.getServletContextRequest(request);
            if (core == null) {
                return;
            }
            core.addFailureListener(failure -> onGone.run());
            org.eclipse.jetty.io.Connection connection = core.getConnectionMetaData().getConnection();
            if (connection != null) {
                org.eclipse.jetty.io.Connection.Listener listener = new org.eclipse.jetty.io.Connection.Listener() {
                    @Override
                    public void onClosed(org.eclipse.jetty.io.Connection c) {
                        onGone.run();
                    }
                };
                connection.addEventListener(listener);
                // The connection outlives the request (keep-alive): stop listening when the request is done.
                org.eclipse.jetty.server.Request.addCompletionListener(core, x -> connection.removeEventListener(listener));
            }
        }
    }
}
