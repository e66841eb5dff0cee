package io.claudemirror.spring;

import com.codahale.metrics.MetricRegistry;
import io.claudemirror.ClaudeMirror;
import io.claudemirror.MirrorRuntime;
import io.claudemirror.config.MirrorConfig;
import java.time.Duration;
import org.apache.coyote.http11.AbstractHttp11Protocol;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.web.embedded.tomcat.TomcatServletWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.boot.web.servlet.ServletContextInitializer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Mounts the Claude mirror in a Spring Boot servlet application. Every bean backs off when the host defines its
 * own: a {@link MirrorConfig} bean replaces the {@code claude.mirror.*} properties, the host's
 * {@link MetricRegistry} receives the mirror's metrics (a new one only when there is none), a
 * {@link MirrorRuntime} bean replaces ours, and a bean named {@value #INITIALIZER} replaces the registration.
 * The registration itself is {@link ClaudeMirror#install(jakarta.servlet.ServletContext, MirrorRuntime,
 * MetricRegistry)}: one place decides the filter order (audit, metrics, auth, rate limit, PII, QoS, proxy), and
 * the mirror's filters are mapped after the host's own (Spring registers those with {@code isMatchAfter=false}),
 * so a host's security or tracing filter sees a request first. {@code claude.mirror.enabled=false} turns it all off.
 */
@AutoConfiguration
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
@ConditionalOnProperty(prefix = "claude.mirror", name = "enabled", matchIfMissing = true)
@EnableConfigurationProperties(ClaudeMirrorProperties.class)
public class ClaudeMirrorAutoConfiguration {
    /** Name of the bean that registers the filters and servlets; define one of this name to do it yourself. */
    public static final String INITIALIZER = "claudeMirrorServletContextInitializer";

    @Bean
    @ConditionalOnMissingBean
    MirrorConfig claudeMirrorConfig(ClaudeMirrorProperties properties) {
        return MirrorConfigFactory.create(properties, System.getenv());
    }

    /** Only when the host has no registry: its own is where its reporters already look. */
    @Bean
    @ConditionalOnMissingBean
    MetricRegistry claudeMirrorMetricRegistry() {
        return new MetricRegistry();
    }

    @Bean(destroyMethod = "close")
    @ConditionalOnMissingBean
    MirrorRuntime claudeMirrorRuntime(MirrorConfig config) {
        return new MirrorRuntime(config);
    }

    @Bean(name = INITIALIZER)
    @ConditionalOnMissingBean(name = INITIALIZER)
    ServletContextInitializer claudeMirrorServletContextInitializer(MirrorRuntime runtime, MetricRegistry registry) {
        return servletContext -> ClaudeMirror.install(servletContext, runtime, registry);
    }

    /**
     * Tomcat's connection timeout (default 60 s) would cut a stream that is silent longer than that; it is set
     * above the mirror's own idle timeout, so the mirror times a silent upstream out first, with an envelope.
     */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = "org.apache.catalina.startup.Tomcat")
    static class TomcatTimeouts {
        static final Duration MARGIN = Duration.ofMinutes(1);
        static final Duration MIN_IDLE = Duration.ofMinutes(5);
        /** Between requests a connection need not wait as long as inside a stream. */
        static final Duration KEEP_ALIVE = Duration.ofSeconds(60);

        @Bean
        @ConditionalOnMissingBean(name = "claudeMirrorTomcatTimeouts")
        WebServerFactoryCustomizer<TomcatServletWebServerFactory> claudeMirrorTomcatTimeouts(MirrorConfig config) {
            Duration mirrorIdle = config.timeouts().idle();
            Duration idle = (mirrorIdle.compareTo(MIN_IDLE) > 0 ? mirrorIdle : MIN_IDLE).plus(MARGIN);
            return factory -> factory.addConnectorCustomizers(connector -> {
                if (connector.getProtocolHandler() instanceof AbstractHttp11Protocol<?> http) {
                    http.setConnectionTimeout((int) idle.toMillis());
                    http.setKeepAliveTimeout((int) KEEP_ALIVE.toMillis());
                }
            });
        }
    }

    /** The Actuator health component {@code claudeMirror}, when the host has Actuator. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = "org.springframework.boot.actuate.health.HealthIndicator")
    static class Health {
        @Bean
        @ConditionalOnMissingBean(name = "claudeMirrorHealthIndicator")
        MirrorHealthIndicator claudeMirrorHealthIndicator(MirrorRuntime runtime) {
            return new MirrorHealthIndicator(runtime);
        }
    }
}
