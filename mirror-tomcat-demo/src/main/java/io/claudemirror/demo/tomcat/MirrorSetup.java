package io.claudemirror.demo.tomcat;

import io.claudemirror.demo.DemoOptions;
import io.claudemirror.demo.Instructions;
import io.claudemirror.demo.MirrorSource;

import com.codahale.metrics.MetricRegistry;
import io.claudemirror.ClaudeMirror;
import java.nio.file.Path;
import java.time.Duration;
import org.apache.coyote.http11.AbstractHttp11Protocol;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.web.embedded.tomcat.TomcatServletWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.boot.web.servlet.ServletContextInitializer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The whole integration of the mirror into a Spring Boot host: where its configuration comes from, one
 * {@link ServletContextInitializer} that calls {@link ClaudeMirror#install} with the host's Dropwizard
 * {@link MetricRegistry} (the mirror's metrics land there and on {@code {mountPath}/metrics}), and Tomcat timeouts
 * that let a long stream live. The mirror's filters and servlets then sit beside Spring MVC's DispatcherServlet, which keeps
 * serving everything outside {@code {mountPath}/v1/*}, {@code /api/hello} and {@code /health}.
 */
@Configuration(proxyBeanMethods = false)
public class MirrorSetup {
    /** The YAML file; empty means the embedded default ({@link TomcatDemo} sets it from --config / MIRROR_CONFIG). */
    public static final String CONFIG_PROPERTY = "mirror.config";

    /** Above the mirror's own idle timeout, so the mirror times a silent upstream out first, with an envelope. */
    private static final Duration IDLE_MARGIN = Duration.ofMinutes(1);
    private static final Duration MIN_IDLE = Duration.ofMinutes(5);
    /** Between requests a connection need not wait as long as inside a stream. */
    private static final Duration KEEP_ALIVE = Duration.ofSeconds(60);

    @Bean(destroyMethod = "close")
    MirrorSource mirrorSource(@Value("${" + CONFIG_PROPERTY + ":}") String file) {
        return file.isBlank() ? MirrorSource.embeddedDefault() : MirrorSource.file(Path.of(file));
    }

    /** The host's own registry; a real application would already have one (and its reporters). */
    @Bean
    MetricRegistry metricRegistry() {
        return new MetricRegistry();
    }

    @Bean
    ServletContextInitializer claudeMirror(MirrorSource source, MetricRegistry metrics) {
        return servletContext -> ClaudeMirror.install(servletContext, source.config(), metrics);
    }

    @Bean
    WebServerFactoryCustomizer<TomcatServletWebServerFactory> streamFriendlyTimeouts(MirrorSource source) {
        Duration mirrorIdle = source.config().timeouts().idle();
        Duration idle = (mirrorIdle.compareTo(MIN_IDLE) > 0 ? mirrorIdle : MIN_IDLE).plus(IDLE_MARGIN);
        return factory -> factory.addConnectorCustomizers(connector -> {
            if (connector.getProtocolHandler() instanceof AbstractHttp11Protocol<?> http) {
                http.setConnectionTimeout((int) idle.toMillis());
                http.setKeepAliveTimeout((int) KEEP_ALIVE.toMillis());
            }
        });
    }
}
