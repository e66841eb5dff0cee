package io.claudemirror.spring;

import com.codahale.metrics.MetricRegistry;
import io.claudemirror.ClaudeMirror;
import io.claudemirror.MirrorRuntime;
import io.claudemirror.config.MirrorConfig;
import io.claudemirror.container.MirrorErrorReportValve;
import java.time.Duration;
import org.apache.catalina.Host;
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
     * Embedded Tomcat, set for the mirror. The connection timeout (default 60 s) is set above the mirror's own idle
     * timeout, so the mirror times a silent upstream out first, with an envelope; while a request body arrives the
     * shorter upload timeout ({@code timeouts.bodyRead}) applies instead, so a client that stalls mid-body holds a
     * thread that long at most. And the host's error report valve becomes {@link MirrorErrorReportValve}: what
     * Tomcat refuses itself under the mount gets the Anthropic envelope, the host's other paths keep its pages.
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
            Duration bodyRead = config.timeouts().bodyRead();
            return factory -> factory.addConnectorCustomizers(connector -> {
                if (connector.getProtocolHandler() instanceof AbstractHttp11Protocol<?> http) {
                    http.setConnectionTimeout((int) idle.toMillis());
                    http.setKeepAliveTimeout((int) KEEP_ALIVE.toMillis());
                    if (bodyRead != null && !bodyRead.isZero() && bodyRead.compareTo(idle) < 0) {
                        // Tomcat's read timeout while the request body is read; the long one applies again after.
                        http.setDisableUploadTimeout(false);
                        http.setConnectionUploadTimeout((int) bodyRead.toMillis());
                    }
                }
            });
        }

        @Bean
        @ConditionalOnMissingBean(name = "claudeMirrorTomcatErrorPages")
        WebServerFactoryCustomizer<TomcatServletWebServerFactory> claudeMirrorTomcatErrorPages(MirrorConfig config) {
            String mountPath = config.mountPath();
            return factory -> factory.addContextCustomizers(context -> {
                // The valves see paths from the host's root: server.servlet.context-path comes first.
                String fromRoot = context.getPath() + mountPath;
                MirrorErrorReportValve.install((Host) context.getParent(), fromRoot);
                // Boot's /error page would otherwise answer Tomcat's own sendError under the mount (e.g. its 408).
                MirrorErrorReportValve.installOnContext(context, fromRoot);
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
