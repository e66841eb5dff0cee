package io.claudemirror.demo.tomcat;

import io.claudemirror.demo.DemoOptions;
import io.claudemirror.demo.Instructions;
import io.claudemirror.demo.MirrorSource;
import io.claudemirror.demo.VirtualThreadsOption;

import com.codahale.metrics.MetricRegistry;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.catalina.connector.Connector;
import org.apache.tomcat.util.threads.VirtualThreadExecutor;
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
 * java -jar mirror-tomcat-demo.jar [--host ADDR] [--port N] [--config FILE] [--virtual-threads]
 * </pre>
 * {@code --host} becomes {@code server.address} (127.0.0.1 unless given), {@code --port} {@code server.port}; the
 * configuration file becomes the property {@value MirrorSetup#CONFIG_PROPERTY}; {@code --virtual-threads} becomes
 * Boot's own {@value #VIRTUAL_THREADS_PROPERTY} on Java 21+ (Tomcat then runs each request on a virtual thread).
 * The starter sets Tomcat's timeouts and installs the error valve that answers Tomcat's own refusals under the
 * mount with the Anthropic envelope.
 */
@SpringBootApplication
public class TomcatDemo {
    /** Spring Boot's switch for virtual threads (Tomcat's request executor among others); honoured on Java 21+. */
    static final String VIRTUAL_THREADS_PROPERTY = "spring.threads.virtual.enabled";

    private static final Logger LOG = LoggerFactory.getLogger(TomcatDemo.class);

    public static void main(String[] args) {
        DemoOptions options = DemoOptions.fromCommandLine(args);
        Running running;
        try {
            running = start(options);
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
        return start(new DemoOptions(port, config, host));
    }

    /** Starts the host as the command line describes it, {@code --virtual-threads} included. */
    public static Running start(DemoOptions options) {
        Running running = new Running(new SpringApplication(TomcatDemo.class).run(springArguments(options)));
        LOG.info("Acme host app (Spring Boot/Tomcat) listening on {}/ with the Claude mirror at {}/v1",
                running.url(), running.source().config().mountPath());
        return running;
    }

    /**
     * The demo's options as Spring Boot arguments. Command-line arguments outrank the environment: no config means
     * the embedded default even when MIRROR_CONFIG is set (main has already applied it).
     */
    static String[] springArguments(DemoOptions options) {
        Path config = options.config();
        List<String> args = new ArrayList<>(List.of("--server.address=" + options.host(),
                "--server.port=" + options.port(),
                "--" + MirrorSetup.CONFIG_PROPERTY + "=" + (config == null ? "" : config.toAbsolutePath())));
        if (VirtualThreadsOption.resolve(options.virtualThreads())) {
            args.add("--" + VIRTUAL_THREADS_PROPERTY + "=true");
        }
        return args.toArray(String[]::new);
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
            return (InetAddress) connector().getProperty("address");
        }

        private Connector connector() {
            return ((TomcatWebServer) ((ServletWebServerApplicationContext) context).getWebServer()).getTomcat()
                    .getConnector();
        }

        /** {@code http://127.0.0.1:PORT} (or the bound host), without the mount path. */
        public String url() {
            InetAddress bound = boundAddress();
            return DemoOptions.baseUrl(bound == null ? "0.0.0.0" : bound.getHostAddress(), port());
        }

        MirrorSource source() {
            return context.getBean(MirrorSource.class);
        }

        /** Whether Boot runs Tomcat's request work on virtual threads ({@code --virtual-threads} on Java 21+). */
        public boolean virtualThreads() {
            return connector().getProtocolHandler().getExecutor() instanceof VirtualThreadExecutor;
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
