package io.claudemirror.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.claudemirror.config.ConfigException;
import io.claudemirror.config.MirrorConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Configuration;

/**
 * Every key the mirror's YAML reader accepts binds as a {@code claude.mirror.*} property (the properties refuse
 * unknown keys, so a key missing here would stop a host's start-up) and reaches the {@link MirrorConfig}.
 */
class StarterPropertiesTest {
    @Configuration(proxyBeanMethods = false)
    @EnableConfigurationProperties(ClaudeMirrorProperties.class)
    static class OnlyProperties {
    }

    static MirrorConfig bind(String... properties) {
        List<String> args = new ArrayList<>(List.of("--spring.main.banner-mode=off"));
        for (String p : properties) {
            args.add("--claude.mirror." + p);
        }
        try (ConfigurableApplicationContext context = new SpringApplicationBuilder(OnlyProperties.class)
                .web(WebApplicationType.NONE).run(args.toArray(String[]::new))) {
            return MirrorConfigFactory.create(context.getBean(ClaudeMirrorProperties.class), Map.of());
        }
    }

    @Test
    void theKeysAddedWithTheFrontDoorIsolationRoutingAndOperationsWorkBindAndReachTheConfig() {
        MirrorConfig c = bind(
                "upstreams[0].name=primary",
                "upstreams[0].url=http://127.0.0.1:9",
                "upstreams[0].region=eu-west",
                "upstreams[1].name=fallback",
                "upstreams[1].url=http://127.0.0.1:10",
                "upstreams[1].backup=true",
                "timeouts.body-read=7s",
                "tenants[0].id=team-a",
                "tenants[0].keys[0]=sha256:" + "ab".repeat(32),
                "tenants[0].upstream-keys.primary=sk-ant-team-a-primary",
                "tenants[0].upstream-keys.fallback=sk-ant-team-a-fallback",
                "admin.keys[0]=sha256:" + "cd".repeat(32),
                "admin.keys[1]=plain:admin-for-tests",
                "admin.trust-loopback=true",
                "public-base-url=https://ai.example.com/claude/",
                "state.dir=/var/lib/mirror-state",
                "failover.max-attempts=2",
                "failover.deadline=12s",
                "failover.first-byte-timeout=3s",
                "routing.breaker.consecutive-failures=7",
                "routing.breaker.error-rate-percent=40",
                "routing.breaker.min-requests=11",
                "routing.breaker.window=45s",
                "routing.breaker.cooldown=15s",
                "routing.breaker.max-cooldown=2m",
                "routing.probe.interval=20s",
                "routing.probe.timeout=2s",
                "routing.sticky.enabled=false",
                "routing.sticky.ttl=30m",
                "routing.sticky.max-entries=500",
                "routing.latency-decay=20s",
                "routing.max-pacing-wait=9s",
                "cache.enabled=true",
                "cache.max-entry-bytes=2MB",
                "cache.disk-max-bytes=64MB",
                "audit.dir=",
                "audit.sink=slf4j",
                "audit.hash-chain=true");

        assertThat(c.upstreams().get(0).region()).isEqualTo("eu-west");
        assertThat(c.timeouts().bodyRead()).isEqualTo(Duration.ofSeconds(7));
        assertThat(c.tenants().get(0).upstreamKeys())
                .containsExactlyInAnyOrderEntriesOf(Map.of("primary", "sk-ant-team-a-primary", "fallback", "sk-ant-team-a-fallback"));
        assertThat(c.admin().keys()).containsExactly("sha256:" + "cd".repeat(32), "plain:admin-for-tests");
        assertThat(c.admin().trustLoopback()).isTrue();
        assertThat(c.publicBaseUrl()).isEqualTo("https://ai.example.com/claude");
        assertThat(c.state().dir()).isEqualTo("/var/lib/mirror-state");
        assertThat(c.failover()).isEqualTo(new MirrorConfig.Failover(2, Duration.ofSeconds(12), Duration.ofSeconds(3)));
        assertThat(c.routing()).isEqualTo(new MirrorConfig.Routing(7, 40, 11, Duration.ofSeconds(45),
                Duration.ofSeconds(15), Duration.ofMinutes(2), Duration.ofSeconds(20), Duration.ofSeconds(2), false,
                Duration.ofMinutes(30), 500, Duration.ofSeconds(20), Duration.ofSeconds(9)));
        assertThat(c.cache().maxEntryBytes()).isEqualTo(2L << 20);
        assertThat(c.cache().diskMaxBytes()).isEqualTo(64L << 20);
        assertThat(c.audit().sink()).isEqualTo("slf4j");
        assertThat(c.audit().hashChain()).isTrue();
    }

    @Test
    void theNewKeysAreValidatedByTheMirrorsReaderNamingTheKey() {
        assertThatThrownBy(() -> bind("upstreams[0].url=http://127.0.0.1:9", "tenants[0].id=t",
                "tenants[0].keys[0]=plain:k", "tenants[0].upstream-keys.nosuch=sk-ant-x"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("tenants[0].upstreamKeys.nosuch");
        assertThatThrownBy(() -> bind("upstreams[0].url=http://127.0.0.1:9", "auth.mode=passthrough",
                "public-base-url=ftp://x"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("publicBaseUrl");
        assertThatThrownBy(() -> bind("upstreams[0].url=http://127.0.0.1:9", "auth.mode=passthrough",
                "routing.breaker.error-rate-percent=101"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("routing.breaker.errorRatePercent");
        assertThatThrownBy(() -> bind("upstreams[0].url=http://127.0.0.1:9", "auth.mode=passthrough",
                "admin.keys[0]=sk-naked"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("admin.keys[0]");
    }

    @Test
    void anUnknownKeyUnderANewGroupIsRefused() {
        assertThatThrownBy(() -> bind("upstreams[0].url=http://127.0.0.1:9", "auth.mode=passthrough",
                "routing.breaker.cooldwn=5s"))
                .hasStackTraceContaining("claude.mirror.routing.breaker.cooldwn");
    }
}
