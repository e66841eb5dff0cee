package io.claudemirror.bench;

import org.eclipse.jetty.ee10.proxy.AsyncProxyServlet;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

/**
 * The baseline for load runs: Jetty 12's stock {@code AsyncProxyServlet.Transparent}, no filters, in front of
 * the same upstream. {@code java -cp benchmarks.jar io.claudemirror.bench.BareProxyMain PORT UPSTREAM_URL}.
 */
public final class BareProxyMain {
    private BareProxyMain() {
    }

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        Server server = new Server();
        ServerConnector connector = new ServerConnector(server);
        connector.setHost("127.0.0.1");
        connector.setPort(port);
        server.addConnector(connector);
        ServletContextHandler context = new ServletContextHandler("/");
        ServletHolder proxy = new ServletHolder(new AsyncProxyServlet.Transparent());
        proxy.setInitParameter("proxyTo", args[1]);
        proxy.setInitParameter("maxThreads", "64");
        proxy.setInitParameter("maxConnections", "4096"); // as the mirror's default: long streams each hold one
        proxy.setAsyncSupported(true);
        context.addServlet(proxy, "/*");
        context.addServlet(new org.eclipse.jetty.ee10.servlet.ServletHolder(new AllocationServlet()), "/__alloc");
        server.setHandler(context);
        server.start();
        System.out.println("bare AsyncProxyServlet on http://127.0.0.1:" + port + " -> " + args[1]);
        server.join();
    }
}
