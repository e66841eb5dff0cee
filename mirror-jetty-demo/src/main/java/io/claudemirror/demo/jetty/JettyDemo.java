package io.claudemirror.demo.jetty;

import io.claudemirror.demo.DemoOptions;
import io.claudemirror.demo.Instructions;
import io.claudemirror.demo.MirrorSource;

import com.codahale.metrics.MetricRegistry;
import io.claudemirror.MirrorContextListener;
import io.claudemirror.config.ConfigException;
import io.claudemirror.config.MirrorConfig;
import io.claudemirror.metrics.MirrorMetrics;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import org.eclipse.jetty.ee10.webapp.WebAppContext;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.resource.ResourceFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A host application on embedded Jetty 12 (ee10) that mounts the Claude mirror the way an existing web app
 * would: through its {@code WEB-INF/web.xml} (listener, filters, servlets), beside its own page at {@code /}.
 * <pre>
 * java -jar mirror-jetty-demo.jar [--port N] [--config FILE]
 * </pre>
 * The launcher hands the web application two things, as a host's own bootstrap would: the configuration file, as
 * the context-param {@value MirrorContextListener#CONFIG_PARAM} that {@link MirrorContextListener} reads, and the
 * host's Dropwizard {@link MetricRegistry}, as the context attribute {@link MirrorMetrics#REGISTRY_ATTRIBUTE} the
 * mirror records into and {@code /metrics} exposes.
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
            running = start(options.port(), options.config());
        } catch (ConfigException e) {
            System.err.println(e.getMessage());
            System.exit(1);
            return;
        }
        System.out.println(Instructions.text("Jetty 12 (web.xml host)", "http://localhost:" + running.port(),
                running.source()));
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            running.close();
            stopped.countDown();
        }, "mirror-demo-shutdown"));
        stopped.await();
    }

    /**
     * Starts the host on {@code port} (0: a free one) with the YAML {@code config}, or the embedded default when
     * it is {@code null}. A bad configuration throws before the port is bound.
     */
    public static Running start(int port, Path config) throws Exception {
        MirrorSource source = config == null ? MirrorSource.embeddedDefault() : MirrorSource.file(config);
        try {
            MirrorConfig mirror = source.config();
            if (!mirror.mountPath().isEmpty()) {
                // web.xml fixes the URL patterns; a host that wants /claude writes /claude/v1/* there.
                throw new ConfigException("mountPath", "this demo maps the mirror at /v1/* in WEB-INF/web.xml;"
                        + " leave mountPath empty (the Tomcat demo installs in code and honours it)");
            }
            Server server = newServer(port, mirror.timeouts().idle());
            MetricRegistry metrics = new MetricRegistry();
            WebAppContext app = newWebApp(server, source, metrics);
            server.setHandler(app);
            try {
                server.start();
            } catch (Exception e) {
                server.stop();
                throw e;
            }
            Running running = new Running(server, source, metrics);
            LOG.info("Acme host app (Jetty) listening on http://localhost:{}/ with the Claude mirror at /v1",
                    running.port());
            return running;
        } catch (Exception e) {
            source.close();
            throw e;
        }
    }

    static Server newServer(int port, Duration mirrorIdle) {
        QueuedThreadPool threads = new QueuedThreadPool();
        threads.setName("acme-host");
        Server server = new Server(threads);
        HttpConfiguration http = new HttpConfiguration();
        http.setSendServerVersion(false); // the host does not announce itself, and the mirror hides upstream's
        http.setSendXPoweredBy(false);
        ServerConnector connector = new ServerConnector(server, new HttpConnectionFactory(http));
        connector.setPort(port);
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
            return ((ServerConnector) server.getConnectors()[0]).getLocalPort();
        }

        /** {@code http://localhost:PORT}, the base URL clients use. */
        public String url() {
            return "http://localhost:" + port();
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
