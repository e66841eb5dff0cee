package io.claudemirror.demo.jetty;

import io.claudemirror.demo.DemoOptions;
import io.claudemirror.demo.Instructions;
import io.claudemirror.demo.MirrorSource;
import io.claudemirror.demo.VirtualThreadsOption;

import com.codahale.metrics.MetricRegistry;
import io.claudemirror.MirrorContextListener;
import io.claudemirror.config.ConfigException;
import io.claudemirror.config.MirrorConfig;
import io.claudemirror.container.JettyUploadTimeout;
import io.claudemirror.container.MirrorJettyErrorHandler;
import io.claudemirror.metrics.MirrorMetrics;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import org.eclipse.jetty.ee10.webapp.WebAppContext;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.VirtualThreads;
import org.eclipse.jetty.util.resource.ResourceFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A host application on embedded Jetty 12 (ee10) that mounts the Claude mirror the way an existing web app
 * would: through its {@code WEB-INF/web.xml} (listener, filters, servlets), beside its own page at {@code /}.
 * <pre>
 * java -jar mirror-jetty-demo.jar [--host ADDR] [--port N] [--config FILE] [--virtual-threads]
 * </pre>
 * It listens on 127.0.0.1 unless {@code --host} names another address. Requests Jetty refuses itself under
 * {@code /v1} (an ambiguous or undecodable path, an oversized header) get the Anthropic error envelope from
 * {@link MirrorJettyErrorHandler}; a request body that stalls is cut after {@code timeouts.bodyRead} of silence by
 * {@link JettyUploadTimeout}, while the connector's long idle timeout keeps quiet streams and keep-alive alive.
 * The launcher hands the web application two things, as a host's own bootstrap would: the configuration file, as
 * the context-param {@value MirrorContextListener#CONFIG_PARAM} that {@link MirrorContextListener} reads, and the
 * host's Dropwizard {@link MetricRegistry}, as the context attribute {@link MirrorMetrics#REGISTRY_ATTRIBUTE} the
 * mirror records into and {@code /metrics} exposes. With {@code --virtual-threads} on Java 21+ the server's pool
 * hands its blocking tasks to virtual threads ({@code newServer}).
 */
public final class JettyDemo {
    /** Where web.xml lives on the classpath (in the jar, or target/classes). */
    static final String WEBAPP = "webapp/";

    private static final Logger LOG = LoggerFactory.getLogger(JettyDemo.class);
    /** Above the mirror's own idle timeout, so the mirror times a silent upstream out first, with an envelope. */
    private static final Duration IDLE_MARGIN = Duration.ofMinutes(1);
    private static final Duration MIN_IDLE = Duration.ofMinutes(5);

    private JettyDemo() {
    }

    public static void main(String[] args) throws Exception {
        DemoOptions options = DemoOptions.fromCommandLine(args);
        Running running;
        try {
            running = start(options);
        } catch (ConfigException e) {
            System.err.println(e.getMessage());
            System.exit(1);
            return;
        }
        System.out.println(Instructions.text("Jetty 12 (web.xml host)", running.url(), running.source()));
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            running.close();
            stopped.countDown();
        }, "mirror-demo-shutdown"));
        stopped.await();
    }

    /** {@link #start(String, int, Path)} on 127.0.0.1. */
    public static Running start(int port, Path config) throws Exception {
        return start(DemoOptions.DEFAULT_HOST, port, config);
    }

    /**
     * Starts the host on {@code host}:{@code port} (0: a free port) with the YAML {@code config}, or the embedded
     * default when it is {@code null}. A bad configuration throws before the port is bound.
     */
    public static Running start(String host, int port, Path config) throws Exception {
        return start(new DemoOptions(port, config, host));
    }

    /**
     * Starts the host as the command line describes it: {@link #start(String, int, Path)}, and with
     * {@link DemoOptions#virtualThreads()} the request work on virtual threads where the JVM has them.
     */
    public static Running start(DemoOptions options) throws Exception {
        Path config = options.config();
        MirrorSource source = config == null ? MirrorSource.embeddedDefault() : MirrorSource.file(config);
        try {
            MirrorConfig mirror = source.config();
            if (!mirror.mountPath().isEmpty()) {
                // web.xml fixes the URL patterns; a host that wants /claude writes /claude/v1/* there.
                throw new ConfigException("mountPath", "this demo maps the mirror at /v1/* in WEB-INF/web.xml;"
                        + " leave mountPath empty (the Tomcat demo installs in code and honours it)");
            }
            Server server = newServer(options.host(), options.port(), mirror.timeouts().idle(),
                    VirtualThreadsOption.resolve(options.virtualThreads()));
            MetricRegistry metrics = new MetricRegistry();
            WebAppContext app = newWebApp(server, source, metrics);
            // JSON envelopes for what Jetty refuses before the web application sees it, HTML for the host's paths.
            MirrorJettyErrorHandler.install(server, mirror.mountPath());
            server.setHandler(new JettyUploadTimeout(app, mirror.timeouts().bodyRead()));
            try {
                server.start();
            } catch (Exception e) {
                server.stop();
                throw e;
            }
            Running running = new Running(server, source, metrics);
            LOG.info("Acme host app (Jetty) listening on {}/ with the Claude mirror at /v1 ({} threads)", running.url(),
                    running.virtualThreads() ? "virtual" : "platform");
            return running;
        } catch (Exception e) {
            source.close();
            throw e;
        }
    }

    /**
     * The server, its pool and its connector. With {@code virtualThreads} the pool keeps its platform threads for
     * what must not block (selectors, accepting, non-blocking callbacks) and hands every task Jetty marks blocking
     * to a new virtual thread: connection reads that parse a request and run the filters and servlets (the
     * mirror's body read waits there, up to {@code timeouts.bodyRead}) and {@code Context.execute} work such as
     * async dispatches. It then reserves no threads, so such a task is never run in place on a selector thread.
     * The proxy's client shares this pool ({@code MirrorProxyServlet}), so its upstream reads go to virtual
     * threads too. The executor is Jetty's unnamed one: naming would cost a string per task on that path.
     */
    static Server newServer(String host, int port, Duration mirrorIdle, boolean virtualThreads) {
        QueuedThreadPool threads = new QueuedThreadPool();
        threads.setName("acme-host");
        if (virtualThreads) {
            // Before start: the pool sizes its reserved threads (none with virtual threads) when it starts.
            threads.setVirtualThreadsExecutor(VirtualThreads.getDefaultVirtualThreadsExecutor());
        }
        Server server = new Server(threads);
        HttpConfiguration http = new HttpConfiguration();
        http.setSendServerVersion(false); // the host does not announce itself, and the mirror hides upstream's
        http.setSendXPoweredBy(false);
        ServerConnector connector = new ServerConnector(server, new HttpConnectionFactory(http));
        connector.setHost(host);
        connector.setPort(port);
        // Long, for quiet streams and keep-alive; a stalled upload is cut sooner by JettyUploadTimeout.
        Duration idle = mirrorIdle.compareTo(MIN_IDLE) > 0 ? mirrorIdle : MIN_IDLE;
        connector.setIdleTimeout(idle.plus(IDLE_MARGIN).toMillis());
        server.addConnector(connector);
        server.setStopTimeout(5_000);
        return server;
    }

    static WebAppContext newWebApp(Server server, MirrorSource source, MetricRegistry metrics) {
        WebAppContext app = new WebAppContext();
        app.setContextPath("/");
        app.setBaseResource(ResourceFactory.of(server).newClassLoaderResource(WEBAPP));
        app.setInitParameter(MirrorContextListener.CONFIG_PARAM, source.file().toAbsolutePath().toString());
        app.setAttribute(MirrorMetrics.REGISTRY_ATTRIBUTE, metrics);
        // The mirror's classes are on the launcher's classpath, as in a fat jar; the webapp loader delegates to it.
        app.setParentLoaderPriority(true);
        // A bad configuration must stop the process, not leave a running server that answers 503.
        app.setThrowUnavailableOnStartupException(true);
        return app;
    }

    /** A started demo: its port, and {@link #close()} to stop the server and the embedded upstream. */
    public static final class Running implements AutoCloseable {
        private final Server server;
        private final MirrorSource source;
        private final MetricRegistry metrics;

        Running(Server server, MirrorSource source, MetricRegistry metrics) {
            this.server = server;
            this.source = source;
            this.metrics = metrics;
        }

        public int port() {
            return connector().getLocalPort();
        }

        /** The address the connector is bound to (127.0.0.1 unless started with another host). */
        public String host() {
            return connector().getHost();
        }

        /** The socket address the server actually listens on. */
        public InetSocketAddress boundAddress() throws IOException {
            return (InetSocketAddress) ((ServerSocketChannel) connector().getTransport())
                    .getLocalAddress();
        }

        /** {@code http://127.0.0.1:PORT} (or the bound host; {@code localhost} when bound to every interface). */
        public String url() {
            return DemoOptions.baseUrl(host(), port());
        }

        private ServerConnector connector() {
            return (ServerConnector) server.getConnectors()[0];
        }

        /** Whether the server's blocking work runs on virtual threads ({@code --virtual-threads} on Java 21+). */
        public boolean virtualThreads() {
            return VirtualThreads.isUseVirtualThreads(server.getThreadPool());
        }

        Server server() {
            return server;
        }

        MirrorSource source() {
            return source;
        }

        /** The host's registry, which the mirror records into. */
        public MetricRegistry metrics() {
            return metrics;
        }

        @Override
        public void close() {
            try {
                server.stop();
            } catch (Exception e) {
                LOG.warn("stopping the host server failed", e);
            } finally {
                source.close();
            }
        }
    }
}
