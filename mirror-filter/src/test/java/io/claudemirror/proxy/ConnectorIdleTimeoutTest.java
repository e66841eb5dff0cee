package io.claudemirror.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.claudemirror.ClaudeMirror;
import io.claudemirror.config.MirrorConfig;
import io.claudemirror.support.Http;
import io.claudemirror.testkit.FakeAnthropic;
import io.claudemirror.testkit.Fault;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.junit.jupiter.api.Test;

/**
 * A long non-streaming request keeps the client connection silent while Claude thinks. On Jetty the
 * host's connector idle timeout must not cut it: an async request that is waiting is not idle.
 */
class ConnectorIdleTimeoutTest {
    @Test
    void aSilentWaitLongerThanTheJettyConnectorIdleTimeoutStillAnswers() throws Exception {
        try (FakeAnthropic fake = FakeAnthropic.start()) {
            fake.enqueue(Fault.delay(Duration.ofMillis(2500)));
            Server server = new Server();
            ServerConnector connector = new ServerConnector(server);
            connector.setHost("127.0.0.1");
            connector.setPort(0);
            connector.setIdleTimeout(1000);
            server.addConnector(connector);
            ServletContextHandler context = new ServletContextHandler("/");
            MirrorConfig config = MirrorConfig.builder().upstream("p", fake.baseUrl(), "sk-up").tenant("t", "plain:k")
                    .set("audit.dir", "").build();
            context.addServletContainerInitializer((classes, ctx) -> ClaudeMirror.install(ctx, config));
            server.setHandler(context);
            server.start();
            try {
                HttpResponse<String> r = Http.send(Http.post("http://127.0.0.1:" + connector.getLocalPort() + "/v1/messages",
                        "k", Http.messages("slow", false)));
                assertThat(r.statusCode()).isEqualTo(200);
                assertThat(r.body()).contains("\"text\":\"slow\"");
            } finally {
                server.stop();
            }
        }
    }

    @Test
    void aSilentWaitLongerThanTheTomcatConnectionTimeoutStillAnswers() throws Exception {
        try (FakeAnthropic fake = FakeAnthropic.start()) {
            fake.enqueue(Fault.delay(Duration.ofMillis(2500)));
            java.io.File base = java.nio.file.Files.createTempDirectory("idle-tomcat").toFile();
            org.apache.catalina.startup.Tomcat tomcat = new org.apache.catalina.startup.Tomcat();
            tomcat.setBaseDir(base.getAbsolutePath());
            org.apache.catalina.connector.Connector connector = new org.apache.catalina.connector.Connector();
            connector.setPort(0);
            connector.setProperty("address", "127.0.0.1");
            connector.setProperty("connectionTimeout", "1000");
            connector.setProperty("keepAliveTimeout", "1000");
            tomcat.setConnector(connector);
            org.apache.catalina.Context context = tomcat.addContext("", base.getAbsolutePath());
            MirrorConfig config = MirrorConfig.builder().upstream("p", fake.baseUrl(), "sk-up").tenant("t", "plain:k")
                    .set("audit.dir", "").build();
            context.addServletContainerInitializer((classes, ctx) -> ClaudeMirror.install(ctx, config), null);
            tomcat.start();
            try {
                HttpResponse<String> r = Http.send(Http.post("http://127.0.0.1:" + connector.getLocalPort() + "/v1/messages",
                        "k", Http.messages("slow", false)));
                assertThat(r.statusCode()).isEqualTo(200);
                assertThat(r.body()).contains("\"text\":\"slow\"");
            } finally {
                tomcat.stop();
                tomcat.destroy();
            }
        }
    }
}
