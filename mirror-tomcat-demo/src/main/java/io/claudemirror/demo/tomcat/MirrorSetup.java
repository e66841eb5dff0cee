package io.claudemirror.demo.tomcat;

import com.codahale.metrics.MetricRegistry;
import io.claudemirror.config.MirrorConfig;
import io.claudemirror.demo.MirrorSource;
import java.nio.file.Path;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * What this host adds to the mirror's Spring Boot starter, which does the rest (filters, servlets, Tomcat
 * timeouts, Actuator health): the configuration, as a {@link MirrorConfig} bean from the demo's source (the
 * user's YAML file or the embedded default), so the starter's {@code claude.mirror.*} properties back off; and
 * the host's own Dropwizard {@link MetricRegistry}, which the starter records into instead of creating one.
 * A host without a demo's embedded upstream would write neither bean and set {@code claude.mirror.*} properties.
 */
@Configuration(proxyBeanMethods = false)
public class MirrorSetup {
    /** The YAML file; empty means the embedded default ({@link TomcatDemo} sets it from --config / MIRROR_CONFIG). */
    public static final String CONFIG_PROPERTY = "mirror.config";

    @Bean(destroyMethod = "close")
    MirrorSource mirrorSource(@Value("${" + CONFIG_PROPERTY + ":}") String file) {
        return file.isBlank() ? MirrorSource.embeddedDefault() : MirrorSource.file(Path.of(file));
    }

    @Bean
    MirrorConfig mirrorConfig(MirrorSource source) {
        return source.config();
    }

    /** The host's own registry; a real application would already have one (and its reporters). */
    @Bean
    MetricRegistry metricRegistry() {
        return new MetricRegistry();
    }
}
