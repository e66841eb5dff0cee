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
    private final MirrorConfig config;
    private final MirrorRuntime runtime;

    private MirrorServer(Container container, Server jetty, Tomcat tomcat, int port, MirrorConfig config,
                         MirrorRuntime runtime) {
        this.container = container;
        this.jetty = jetty;
        this.tomcat = tomcat;
        this.port = port;
        this.config = config;
        this.runtime = runtime;
    }

    public static MirrorServer start(Container container, MirrorConfig config) throws Exception {
        return start(container, config, ctx -> { });
    }

    /** Like {@link #start(Container, MirrorConfig)}, letting the host register its own components first. */
    public static MirrorServer start(Container container, MirrorConfig config,
                                     java.util.function.Consumer<jakarta.servlet.ServletContext> host) throws Exception {
        AtomicReference<MirrorRuntime> runtime = new AtomicReference<>();
        if (container == Container.JETTY) {
            Server server = new Server();
            ServerConnector connector = new ServerConnector(server);
            connector.setHost("127.0.0.1");
            connector.setPort(0);
            connector.setIdleTimeout(10 * 60_000);
            server.addConnector(connector);
            ServletContextHandler context = new ServletContextHandler("/");
            context.addServletContainerInitializer((classes, ctx) -> {
                host.accept(ctx);
                runtime.set(ClaudeMirror.install(ctx, config));
            });
            server.setHandler(context);
            server.start();
            return new MirrorServer(container, server, null, connector.getLocalPort(), config, runtime.get());
        }
        File base = Files.createTempDirectory("mirror-tomcat").toFile();
        Tomcat tomcat = new Tomcat();
        tomcat.setBaseDir(base.getAbsolutePath());
        Connector connector = new Connector();
        connector.setPort(0);
        connector.setProperty("address", "127.0.0.1");
        tomcat.setConnector(connector);
        Context context = tomcat.addContext("", base.getAbsolutePath());
        context.addServletContainerInitializer((classes, ctx) -> {
            host.accept(ctx);
            runtime.set(ClaudeMirror.install(ctx, config));
        }, null);
        tomcat.start();
        return new MirrorServer(container, null, tomcat, connector.getLocalPort(), config, runtime.get());
    }

    /** The base URL a client uses: {@code http://127.0.0.1:PORT} plus the mount path. */
    public String baseUrl() {
        return "http://127.0.0.1:" + port + config.mountPath();
    }

    public int port() {
        return port;
    }

    public Container container() {
        return container;
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
