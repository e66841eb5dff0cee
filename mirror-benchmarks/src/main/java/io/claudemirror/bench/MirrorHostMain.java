package io.claudemirror.bench;

import io.claudemirror.ClaudeMirror;
import io.claudemirror.config.ConfigLoader;
import io.claudemirror.config.MirrorConfig;
import java.nio.file.Path;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

/**
 * A minimal embedded-Jetty host with the mirror installed in code, for profiling the mirror without a demo's
 * extras: {@code java -cp benchmarks.jar io.claudemirror.bench.MirrorHostMain PORT CONFIG.yaml}.
 */
public final class MirrorHostMain {
    private MirrorHostMain() {
    }

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        MirrorConfig config = ConfigLoader.fromYaml(Path.of(args[1]));
        // Thread pool knobs for side-by-side runs (bench/ab.sh with JAVA_OPTS_A/B): Jetty's defaults unless set.
        org.eclipse.jetty.util.thread.QueuedThreadPool pool = new org.eclipse.jetty.util.thread.QueuedThreadPool(
                Integer.getInteger("bench.maxThreads", 200), Integer.getInteger("bench.minThreads", 8));
        pool.setReservedThreads(Integer.getInteger("bench.reservedThreads", -1));
        Server server = new Server(pool);
        HttpConfiguration http = new HttpConfiguration();
        http.setSendServerVersion(false);
        ServerConnector connector = new ServerConnector(server, new HttpConnectionFactory(http));
        connector.setHost("127.0.0.1");
        connector.setPort(port);
        connector.setIdleTimeout(config.timeouts().idle().toMillis());
        server.addConnector(connector);
        ServletContextHandler context = new ServletContextHandler("/");
        context.addServletContainerInitializer((classes, ctx) -> ClaudeMirror.install(ctx, config));
        context.addServlet(new org.eclipse.jetty.ee10.servlet.ServletHolder(new AllocationServlet()), "/__alloc");
        server.setHandler(context);
        server.start();
        System.out.println("mirror on http://127.0.0.1:" + port);
        server.join();
    }
}
