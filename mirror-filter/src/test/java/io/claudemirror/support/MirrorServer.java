package io.claudemirror.support;

import io.claudemirror.ClaudeMirror;
import io.claudemirror.MirrorRuntime;
import io.claudemirror.config.MirrorConfig;
import java.io.File;
import java.nio.file.Files;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.catalina.Context;
import org.apache.catalina.connector.Connector;
import org.apache.catalina.startup.Tomcat;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

/**
 * The mirror mounted on a real container on a loopback port, through {@link ClaudeMirror#install} — the way a
 * host application would. Tests run against both containers.
 */
public final class MirrorServer implements AutoCloseable {
    public enum Container { JETTY, TOMCAT }

    private final Container container;
    private final Server jetty;
    private final Tomcat tomcat;
    private final int port;
    private final String mountPath;
    private final MirrorRuntime runtime;

    private MirrorServer(Container container, Server jetty, Tomcat tomcat, int port, String mountPath,
                         MirrorRuntime runtime) {
        this.container = container;
        this.jetty = jetty;
        this.tomcat = tomcat;
        this.port = port;
        this.mountPath = mountPath;
        this.runtime = runtime;
    }

    public static MirrorServer start(Container container, MirrorConfig config) throws Exception {
        return start(container, config, ctx -> { });
    }

    /** Like {@link #start(Container, MirrorConfig)}, letting the host register its own components first. */
    public static MirrorServer start(Container container, MirrorConfig config,
                                     java.util.function.Consumer<jakarta.servlet.ServletContext> host) throws Exception {
        AtomicReference<MirrorRuntime> runtime = new AtomicReference<>();
        MirrorServer server = host(container, config.mountPath(), ctx -> {
            host.accept(ctx);
            runtime.set(ClaudeMirror.install(ctx, config));
        });
        return new MirrorServer(container, server.jetty, server.tomcat, server.port, config.mountPath(), runtime.get());
    }

    /**
     * A bare host on a real container: {@code startup} registers whatever the test needs on the
     * ServletContext while the context starts (as a ServletContainerInitializer would).
     */
    public static MirrorServer host(Container container, String mountPath,
                                    java.util.function.Consumer<jakarta.servlet.ServletContext> startup) throws Exception {
        if (container == Container.JETTY) {
            Server server = new Server();
            ServerConnector connector = new ServerConnector(server);
            connector.setHost("127.0.0.1");
            connector.setPort(0);
            connector.setIdleTimeout(10 * 60_000);
            server.addConnector(connector);
            ServletContextHandler context = new ServletContextHandler("/");
            context.addServletContainerInitializer((classes, ctx) -> startup.accept(ctx));
            server.setHandler(context);
            server.start();
            return new MirrorServer(container, server, null, connector.getLocalPort(), mountPath, null);
        }
        File base = Files.createTempDirectory("mirror-tomcat").toFile();
        Tomcat tomcat = new Tomcat();
        tomcat.setBaseDir(base.getAbsolutePath());
        Connector connector = new Connector();
        connector.setPort(0);
        connector.setProperty("address", "127.0.0.1");
        tomcat.setConnector(connector);
        Context context = tomcat.addContext("", base.getAbsolutePath());
        context.addServletContainerInitializer((classes, ctx) -> startup.accept(ctx), null);
        tomcat.start();
        return new MirrorServer(container, null, tomcat, connector.getLocalPort(), mountPath, null);
    }

    /** The base URL a client uses: {@code http://127.0.0.1:PORT} plus the mount path. */
    public String baseUrl() {
        return "http://127.0.0.1:" + port + mountPath;
    }

    public int port() {
        return port;
    }

    public Container container() {
        return container;
    }

    /** The embedded Tomcat, or null on Jetty. */
    public Tomcat tomcat() {
        return tomcat;
    }

    public MirrorRuntime runtime() {
        return runtime;
    }

    @Override
    public void close() throws Exception {
        if (jetty != null) {
            jetty.stop();
        }
        if (tomcat != null) {
            tomcat.stop();
            tomcat.destroy();
        }
    }
}
