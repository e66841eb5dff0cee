package io.claudemirror.demo.tomcat;

import io.claudemirror.demo.DemoOptions;
import io.claudemirror.demo.Instructions;
import io.claudemirror.demo.MirrorSource;

import com.codahale.metrics.MetricRegistry;
import java.net.InetAddress;
import java.nio.file.Path;
import org.apache.catalina.connector.Connector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.web.embedded.tomcat.TomcatWebServer;
import org.springframework.boot.web.servlet.context.ServletWebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * A host application on Spring Boot 3.5 with embedded Tomcat 10.1 that mounts the Claude mirror from its Spring
 * configuration ({@link MirrorSetup}), beside its own page at {@code /} ({@link HostPageController}).
 * <pre>
 * java -jar mirror-tomcat-demo.jar [--host ADDR] [--port N] [--config FILE]
 * </pre>
 * {@code --host} becomes {@code server.address} (127.0.0.1 unless given), {@code --port} {@code server.port}; the
 * configuration file becomes the property {@value MirrorSetup#CONFIG_PROPERTY}. The starter sets Tomcat's timeouts
 * and installs the error valve that answers Tomcat's own refusals under the mount with the Anthropic envelope.
 */
@SpringBootApplication
public class TomcatDemo {
    private static final Logger LOG = LoggerFactory.getLogger(TomcatDemo.class);

    public static void main(String[] args) {
        DemoOptions options = DemoOptions.fromCommandLine(args);
        Running running;
        try {
            running = start(options.host(), options.port(), options.config());
        } catch (RuntimeException e) {
            // Spring Boot has already reported why (see MirrorConfigFailureAnalyzer for configuration errors).
            System.exit(1);
            return;
        }
        // Spring's shutdown hook closes the context, Tomcat and the embedded upstream on Ctrl-C.
        System.out.println(Instructions.text("Spring Boot 3.5 / Tomcat 10.1", running.url(), running.source()));
    }

    /** {@link #start(String, int, Path)} on 127.0.0.1. */
    public static Running start(int port, Path config) {
        return start(DemoOptions.DEFAULT_HOST, port, config);
    }

    /**
     * Starts the host on {@code host}:{@code port} (0: a free port) with the YAML {@code config}, or the embedded
     * default when it is {@code null}. A bad configuration fails the start, with a {@code ConfigException} as root
     * cause.
     */
    public static Running start(String host, int port, Path config) {
        SpringApplication app = new SpringApplication(TomcatDemo.class);
        // Command-line arguments outrank the environment: start(port, null) means the embedded default even when
        // MIRROR_CONFIG is set (main has already applied it).
        ConfigurableApplicationContext context = app.run("--server.address=" + host, "--server.port=" + port,
                "--" + MirrorSetup.CONFIG_PROPERTY + "=" + (config == null ? "" : config.toAbsolutePath()));
        Running running = new Running(context);
        LOG.info("Acme host app (Spring Boot/Tomcat) listening on {}/ with the Claude mirror at {}/v1",
                running.url(), running.source().config().mountPath());
        return running;
    }

    /** A started demo: its port, and {@link #close()} to stop Spring, Tomcat and the embedded upstream. */
    public static final class Running implements AutoCloseable {
        private final ConfigurableApplicationContext context;

        Running(ConfigurableApplicationContext context) {
            this.context = context;
        }

        public int port() {
            return ((ServletWebServerApplicationContext) context).getWebServer().getPort();
        }

        /** The address Tomcat's connector is bound to (127.0.0.1 unless started with another host); null: all. */
        public InetAddress boundAddress() {
            Connector connector = ((TomcatWebServer) ((ServletWebServerApplicationContext) context).getWebServer())
                    .getTomcat().getConnector();
            return (InetAddress) connector.getProperty("address");
        }

        /** {@code http://127.0.0.1:PORT} (or the bound host), without the mount path. */
        public String url() {
            InetAddress bound = boundAddress();
            return DemoOptions.baseUrl(bound == null ? "0.0.0.0" : bound.getHostAddress(), port());
        }

        MirrorSource source() {
            return context.getBean(MirrorSource.class);
        }

        /** The host's registry, which the mirror records into. */
        public MetricRegistry metrics() {
            return context.getBean(MetricRegistry.class);
        }

        @Override
        public void close() {
            context.close();
        }
    }
}
