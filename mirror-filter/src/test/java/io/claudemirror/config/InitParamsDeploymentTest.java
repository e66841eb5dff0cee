package io.claudemirror.config;

import static org.assertj.core.api.Assertions.assertThat;

import io.claudemirror.auth.AuthFilter;
import io.claudemirror.proxy.MirrorProxyServlet;
import io.claudemirror.support.Http;
import io.claudemirror.testkit.FakeAnthropic;
import jakarta.servlet.DispatcherType;
import java.net.http.HttpResponse;
import java.util.EnumSet;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.junit.jupiter.api.Test;

/**
 * A host that declares the components itself (as web.xml would) and configures the mirror through one
 * filter's init-params: the first component builds the runtime, the others share it.
 */
class InitParamsDeploymentTest {
    @Test
    void filterInitParamsConfigureTheWholeMirror() throws Exception {
        try (FakeAnthropic fake = FakeAnthropic.start().requireApiKey("sk-up-init")) {
            Server server = new Server();
            ServerConnector connector = new ServerConnector(server);
            connector.setHost("127.0.0.1");
            connector.setPort(0);
            server.addConnector(connector);
            ServletContextHandler context = new ServletContextHandler("/");
            FilterHolder auth = new FilterHolder(AuthFilter.class);
            auth.setAsyncSupported(true);
            auth.setInitParameter("upstreams[0].url", fake.baseUrl());
            auth.setInitParameter("upstreams[0].apiKey", "sk-up-init");
            auth.setInitParameter("tenants[0].id", "team");
            auth.setInitParameter("tenants[0].keys", "plain:sk-init-a,plain:sk-init-b");
            auth.setInitParameter("audit.dir", "");
            context.addFilter(auth, "/v1/*", EnumSet.of(DispatcherType.REQUEST));
            ServletHolder proxy = new ServletHolder(MirrorProxyServlet.class);
            proxy.setAsyncSupported(true);
            proxy.setInitOrder(1);
            context.addServlet(proxy, "/v1/*");
            server.setHandler(context);
            server.start();
            try {
                String base = "http://127.0.0.1:" + connector.getLocalPort();
                HttpResponse<String> ok = Http.send(Http.post(base + "/v1/messages", "sk-init-b", Http.messages("hi", false)));
                assertThat(ok.statusCode()).isEqualTo(200);
                assertThat(fake.journal().last().header("x-api-key")).isEqualTo("sk-up-init");
                HttpResponse<String> bad = Http.send(Http.post(base + "/v1/messages", "sk-nope", Http.messages("hi", false)));
                assertThat(bad.statusCode()).isEqualTo(401);
            } finally {
                server.stop();
            }
        }
    }
}
