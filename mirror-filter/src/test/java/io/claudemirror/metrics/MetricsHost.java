package io.claudemirror.metrics;

import io.claudemirror.support.MirrorServer.Container;
import jakarta.servlet.ServletContext;
import java.io.File;
import java.nio.file.Files;
import java.util.function.Consumer;
import org.apache.catalina.Context;
import org.apache.catalina.connector.Connector;
import org.apache.catalina.startup.Tomcat;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

/**
 * A host application on a real container whose start-up code the test writes: it sets up its own Dropwizard
 * registry the way a host would (a context attribute), then installs the mirror.
 */
final class MetricsHost implements AutoCloseable {
    private final Server jetty;
    private final Tomcat tomcat;
    private final int port;

    private MetricsHost(Server jetty, Tomcat tomcat, int port) {
        this.jetty = jetty;
        this.tomcat = tomcat;
        this.port = port;
    }

    static MetricsHost start(Container container, Consumer<ServletContext> startup) throws Exception {
        if (container == Container.JETTY) {
            Server server = new Server();
            ServerConnector connector = new ServerConnector(server);
            connector.setHost("127.0.0.1");
            connector.setPort(0);
            server.addConnector(connector);
            ServletContextHandler context = new ServletContextHandler("/");
            context.addServletContainerInitializer((classes, ctx) -> startup.accept(ctx));
            server.setHandler(context);
            server.start();
            return new MetricsHost(server, null, connector.getLocalPort());
        }
        File base = Files.createTempDirectory("metrics-tomcat").toFile();
        Tomcat tomcat = new Tomcat();
        tomcat.setBaseDir(base.getAbsolutePath());
        Connector connector = new Connector();
        connector.setPort(0);
        connector.setProperty("address", "127.0.0.1");
        tomcat.setConnector(connector);
        Context context = tomcat.addContext("", base.getAbsolutePath());
        context.addServletContainerInitializer((classes, ctx) -> startup.accept(ctx), null);
        tomcat.start();
        return new MetricsHost(null, tomcat, connector.getLocalPort());
    }

    String baseUrl() {
        return "http://127.0.0.1:" + port;
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
