package io.claudemirror.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.claudemirror.config.ConfigException;
import io.claudemirror.config.MirrorConfig;
import io.claudemirror.config.MirrorConfig.Routing;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The routing keys: defaults, values, and refusals that name the key. */
class RoutingConfigTest {
    @Test
    void defaultsApplyWhenNothingIsSet() {
        MirrorConfig c = MirrorConfig.builder().upstream("a", "http://a.example", "k").tenant("t", "plain:k").build();
        assertThat(c.routing()).isEqualTo(Routing.DEFAULTS);
        assertThat(c.upstreams().get(0).region()).isEmpty();
        assertThat(c.failover().deadline()).isEqualTo(Duration.ofSeconds(30));
        assertThat(c.failover().firstByteTimeout()).isZero();
    }

    @Test
    void everyKeyIsRead() {
        MirrorConfig c = MirrorConfig.builder().upstream("a", "http://a.example", "k").tenant("t", "plain:k")
                .set("upstreams[0].region", "eu-west")
                .set("failover.deadline", "20s").set("failover.firstByteTimeout", "45s")
                .set("routing.breaker.consecutiveFailures", "3").set("routing.breaker.errorRatePercent", "40")
                .set("routing.breaker.minRequests", "8").set("routing.breaker.window", "1m")
                .set("routing.breaker.cooldown", "5s").set("routing.breaker.maxCooldown", "2m")
                .set("routing.probe.interval", "30s").set("routing.probe.timeout", "3s")
                .set("routing.sticky.enabled", "false").set("routing.sticky.ttl", "10m")
                .set("routing.sticky.maxEntries", "500").set("routing.latencyDecay", "5s")
                .set("routing.maxPacingWait", "2s").build();
        assertThat(c.upstreams().get(0).region()).isEqualTo("eu-west");
        assertThat(c.failover().deadline()).isEqualTo(Duration.ofSeconds(20));
        assertThat(c.failover().firstByteTimeout()).isEqualTo(Duration.ofSeconds(45));
        assertThat(c.routing()).isEqualTo(new Routing(3, 40, 8, Duration.ofMinutes(1), Duration.ofSeconds(5),
                Duration.ofMinutes(2), Duration.ofSeconds(30), Duration.ofSeconds(3), false, Duration.ofMinutes(10),
                500, Duration.ofSeconds(5), Duration.ofSeconds(2)));
    }

    @Test
    void badValuesStopStartUpNamingTheKey() {
        assertThatThrownBy(() -> MirrorConfig.builder().upstream("a", "http://a.example", "k").tenant("t", "plain:k")
                .set("routing.breaker.errorRatePercent", "120").build())
                .isInstanceOf(ConfigException.class).hasMessageContaining("routing.breaker.errorRatePercent");
        assertThatThrownBy(() -> MirrorConfig.builder().upstream("a", "http://a.example", "k").tenant("t", "plain:k")
                .set("routing.breaker.maxCooldown", "1s").build())
                .hasMessageContaining("routing.breaker.maxCooldown");
        assertThatThrownBy(() -> MirrorConfig.builder().upstream("a", "http://a.example", "k").tenant("t", "plain:k")
                .set("routing.sticky.ttl", "0").build())
                .hasMessageContaining("routing.sticky.ttl");
        assertThatThrownBy(() -> MirrorConfig.builder().upstream("a", "http://a.example", "k").tenant("t", "plain:k")
                .set("routing.stickyness", "on").build())
                .hasMessageContaining("routing.stickyness");
    }
}
