package io.claudemirror.proxy;

import jakarta.servlet.http.HttpServletRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Notices a client that leaves before the mirror has written it a byte, so the upstream call it asked for is
 * cancelled and its pacing slot and permits come back. The Servlet API has no such notification for HTTP/1
 * (the container is not reading the connection while the request waits); what each container offers:
 * <ul>
 *   <li><b>Jetty 12</b> (HTTP/1): its failure and close listeners stay silent, because Jetty does not read the
 *       connection while the request is handled; the mirror registers its own read interest on the endpoint
 *       once the body is in, and a readable connection with nothing to read means the client closed it;</li>
 *   <li><b>Tomcat</b>: {@code AsyncListener.onError} when the container sees the failure (always wired by the
 *       proxy), and a probe of the connection through Tomcat's own "is input available" action every
 *       {@value #TOMCAT_PROBE_MILLIS} ms until the answer starts; two positive probes in a row count as gone.</li>
 * </ul>
 * During a stream any container notices on the next write, which aborts the upstream too.
 */
final class ClientDisconnects {
    private static final Logger LOG = LoggerFactory.getLogger(ClientDisconnects.class);
    private static final boolean JETTY = present("org.eclipse.jetty.ee10.servlet.ServletContextRequest");
    private static final boolean TOMCAT = present("org.apache.catalina.connector.RequestFacade");
    /** How often Tomcat's connection is probed while the client waits for the first byte. */
    static final long TOMCAT_PROBE_MILLIS = 250;

    private ClientDisconnects() {
    }

    /**
     * Starts watching the client connection of {@code request} (its body fully read); {@code listener} hears of
     * a departure. The returned watch must be cancelled before the response completes.
     */
    static Watch watch(HttpServletRequest request, Listener listener, org.eclipse.jetty.util.thread.Scheduler scheduler) {
        if (JETTY) {
            try {
                Watch w = JettyWatch.watch(request, listener);
                if (w != Watch.NONE) {
                    return w;
                }
            } catch (RuntimeException | LinkageError e) {
                // Not a Jetty request after all (another container with Jetty on its class path).
                LOG.trace("no Jetty disconnect notification for this request", e);
            }
        }
        if (TOMCAT) {
            try {
                return TomcatWatch.watch(request, listener, scheduler);
            } catch (RuntimeException | LinkageError | ReflectiveOperationException e) {
                LOG.trace("no Tomcat disconnect probe for this request", e);
            }
        }
        return Watch.NONE;
    }

    private static boolean present(String className) {
        try {
            Class.forName(className, false, ClientDisconnects.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }

    /** What the proxy learns about the client connection while it waits for the upstream. */
    interface Listener {
        /** The client closed or reset the connection. */
        void clientGone();

        /**
         * The client sent more bytes (HTTP/1.1 pipelining, which no SDK does): one byte of its next request was
         * consumed to find out, so this connection must close after the response (the client then resends it).
         */
        void closeAfterResponse();
    }

    /**
     * A watch, cancelled before the first byte of the answer is written: from then on a write notices a departed
     * client, and a response can be complete for the client (its last byte out) before the exchange has ended,
     * so its next request may already be arriving on the connection.
     */
    interface Watch {
        Watch NONE = () -> { };

        void cancel();
    }

    /** Loaded only when Jetty's classes are there. */
    private static final class JettyWatch implements Watch, org.eclipse.jetty.util.Callback {
        private static final Throwable CANCELLED = new java.util.concurrent.CancellationException("watch cancelled");

        private final org.eclipse.jetty.io.AbstractEndPoint endPoint;
        private final Listener listener;
        private final java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();

        private JettyWatch(org.eclipse.jetty.io.AbstractEndPoint endPoint, Listener listener) {
            this.endPoint = endPoint;
            this.listener = listener;
        }

        /**
         * Jetty reads an HTTP/1 connection only when the request asks for content, so a client that closes while
         * the answer is prepared goes unnoticed (the failure and close listeners stay silent: tested). Once the
         * body is in, the mirror asks the endpoint to tell it when the connection becomes readable: for a client
         * waiting for its answer that means it closed (or reset) the connection.
         */
        static Watch watch(HttpServletRequest request, Listener listener) {
            org.eclipse.jetty.server.Request core =
                    org.eclipse.jetty.ee10.servlet.ServletContextRequest.getServletContextRequest(request);
            if (core == null || !(core.getConnectionMetaData().getConnection().getEndPoint()
                    instanceof org.eclipse.jetty.io.AbstractEndPoint ep)
                    || !(core.getConnectionMetaData().getConnection() instanceof org.eclipse.jetty.server.internal.HttpConnection)) {
                return NONE; // HTTP/2 and HTTP/3 report a reset stream through the async listener already
            }
            JettyWatch w = new JettyWatch(ep, listener);
            return ep.tryFillInterested(w) ? w : NONE;
        }

        @Override
        public void succeeded() {
            int n;
            // The check and the read are one step with respect to cancel(): a wake-up that checked before the
            // cancel and read after it would take the first byte of the client's next request on this connection
            // (seen under load as a request line "OST /v1/messages" answered 404).
            synchronized (this) {
                if (done.get()) {
                    return;
                }
                java.nio.ByteBuffer one = java.nio.ByteBuffer.allocate(1);
                one.flip();
                try {
                    n = endPoint.fill(one);
                } catch (java.io.IOException e) {
                    n = -1;
                }
            }
            if (n < 0) {
                if (done.compareAndSet(false, true)) {
                    listener.clientGone();
                }
            } else if (n > 0) {
                done.set(true);
                listener.closeAfterResponse();
            } else if (!done.get()) {
                endPoint.tryFillInterested(this); // spurious wake-up
            }
        }

        @Override
        public void failed(Throwable x) {
            if (x != CANCELLED && done.compareAndSet(false, true)) {
                listener.clientGone();
            }
        }

        @Override
        public void cancel() {
            boolean first;
            synchronized (this) {
                first = done.compareAndSet(false, true);
            }
            if (first) {
                endPoint.getFillInterest().onFail(CANCELLED);
            }
        }
    }

    /**
     * Tomcat does not read a connection whose request is in asynchronous processing. Its own "is input
     * available" action does, without consuming anything the next request needs (the bytes stay in Tomcat's
     * buffer): a waiting client's connection that turns readable has been closed. The action is reached through
     * the request facade's wrapped request (Tomcat offers no public accessor), and probed on a timer until the
     * answer starts.
     */
    private static final class TomcatWatch implements Watch, Runnable {
        private static volatile java.lang.reflect.Field facadeRequest;

        private final org.apache.coyote.Request coyote;
        private final Listener listener;
        private final org.eclipse.jetty.util.thread.Scheduler scheduler;
        private volatile boolean done;
        private int strikes;
        private volatile org.eclipse.jetty.util.thread.Scheduler.Task task;

        private TomcatWatch(org.apache.coyote.Request coyote, Listener listener,
                            org.eclipse.jetty.util.thread.Scheduler scheduler) {
            this.coyote = coyote;
            this.listener = listener;
            this.scheduler = scheduler;
        }

        static Watch watch(HttpServletRequest request, Listener listener, org.eclipse.jetty.util.thread.Scheduler scheduler)
                throws ReflectiveOperationException {
            HttpServletRequest r = request;
            while (r instanceof jakarta.servlet.http.HttpServletRequestWrapper w) {
                r = (HttpServletRequest) w.getRequest();
            }
            if (!(r instanceof org.apache.catalina.connector.RequestFacade)) {
                return Watch.NONE;
            }
            java.lang.reflect.Field f = facadeRequest;
            if (f == null) {
                f = org.apache.catalina.connector.RequestFacade.class.getDeclaredField("request");
                f.setAccessible(true);
                facadeRequest = f;
            }
            org.apache.catalina.connector.Request catalina = (org.apache.catalina.connector.Request) f.get(r);
            if (catalina == null || catalina.getCoyoteRequest() == null) {
                return Watch.NONE;
            }
            TomcatWatch w = new TomcatWatch(catalina.getCoyoteRequest(), listener, scheduler);
            w.schedule();
            return w;
        }

        private void schedule() {
            task = scheduler.schedule(this, TOMCAT_PROBE_MILLIS, java.util.concurrent.TimeUnit.MILLISECONDS);
        }

        @Override
        public void run() {
            boolean gone = false;
            // Held while Tomcat's input buffer is probed: cancel() waits for it, so the probe never runs while
            // the response is being written or the connection is handed back for the next request.
            synchronized (this) {
                if (done) {
                    return;
                }
                int available;
                try {
                    coyote.action(org.apache.coyote.ActionCode.AVAILABLE, Boolean.TRUE);
                    available = coyote.getAvailable();
                } catch (RuntimeException e) {
                    available = 1;
                }
                // Tomcat answers "available" both for a closed connection (the read failed) and for a passing
                // state of its own; a closed connection stays so, a passing state does not: two probes in a row.
                strikes = available > 0 ? strikes + 1 : 0;
                if (strikes >= 2) {
                    done = true;
                    gone = true;
                }
            }
            if (gone) {
                listener.clientGone();
            } else {
                schedule();
            }
        }

        @Override
        public void cancel() {
            synchronized (this) {
                done = true;
            }
            org.eclipse.jetty.util.thread.Scheduler.Task t = task;
            if (t != null) {
                t.cancel();
            }
        }
    }
}
