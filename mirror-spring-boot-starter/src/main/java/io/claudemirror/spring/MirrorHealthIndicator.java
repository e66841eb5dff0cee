package io.claudemirror.spring;

import io.claudemirror.MirrorRuntime;
import io.claudemirror.routing.UpstreamState;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.HealthIndicator;

/**
 * The mirror in Actuator's {@code /actuator/health} as the component {@code claudeMirror}: UP while at least
 * one upstream is healthy (with {@code degraded: true} when some are not), DOWN when none is; the details name
 * each upstream's state, never a URL's credentials or a key (Actuator shows details only to whom the host
 * allows, {@code management.endpoint.health.show-details}).
 */
public class MirrorHealthIndicator implements HealthIndicator {
    private final MirrorRuntime runtime;

    public MirrorHealthIndicator(MirrorRuntime runtime) {
        this.runtime = runtime;
    }

    @Override
    public Health health() {
        int healthy = 0;
        int total = 0;
        Map<String, Object> upstreams = new LinkedHashMap<>();
        for (UpstreamState s : runtime.upstreams().states()) {
            total++;
            if (s.healthy()) {
                healthy++;
            }
            Map<String, Object> d = new LinkedHashMap<>();
            d.put("healthy", s.healthy());
            d.put("backup", s.upstream().backup());
            d.put("requests", s.requests());
            d.put("failures", s.failures());
            d.put("consecutiveFailures", s.consecutiveFailures());
            upstreams.put(s.upstream().name(), d);
        }
        Health.Builder b = healthy > 0 ? Health.up() : Health.down();
        return b.withDetail("upstreams", upstreams).withDetail("degraded", healthy > 0 && healthy < total).build();
    }
}
