package io.claudemirror.spring;

import io.claudemirror.config.ConfigLoader;
import io.claudemirror.config.MirrorConfig;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.util.unit.DataSize;

/**
 * Turns {@link ClaudeMirrorProperties} into a validated {@link MirrorConfig} through the mirror's own reader
 * ({@link ConfigLoader#fromProperties}): only the properties that were set are passed on, so defaults and
 * validation live in one place, and an error names the key as the YAML reader does ({@code timeouts.idle},
 * {@code tenants[0].keys[1]}). Spring has already resolved {@code ${…}} placeholders.
 */
public final class MirrorConfigFactory {
    private MirrorConfigFactory() {
    }

    public static MirrorConfig create(ClaudeMirrorProperties p, Map<String, String> env) {
        return ConfigLoader.fromProperties(flatten(p), env);
    }

    /** The properties that were set, as the flat keys the mirror's reader takes ({@code upstreams[0].url}). */
    static Map<String, String> flatten(ClaudeMirrorProperties p) {
        Map<String, String> f = new LinkedHashMap<>();
        put(f, "config", p.getConfig());
        put(f, "mountPath", p.getMountPath());
        for (int i = 0; i < p.getUpstreams().size(); i++) {
            ClaudeMirrorProperties.Upstream u = p.getUpstreams().get(i);
            String k = "upstreams[" + i + "].";
            put(f, k + "name", u.getName());
            put(f, k + "url", u.getUrl());
            put(f, k + "apiKey", u.getApiKey());
            put(f, k + "weight", u.getWeight());
            put(f, k + "backup", u.getBackup());
            put(f, k + "minInterval", u.getMinInterval());
            put(f, k + "region", u.getRegion());
        }
        put(f, "timeouts.connect", p.getTimeouts().getConnect());
        put(f, "timeouts.idle", p.getTimeouts().getIdle());
        put(f, "timeouts.total", p.getTimeouts().getTotal());
        put(f, "timeouts.bodyRead", p.getTimeouts().getBodyRead());
        put(f, "maxRequestBytes", p.getMaxRequestBytes());
        put(f, "auth.mode", p.getAuth().getMode());
        for (int i = 0; i < p.getTenants().size(); i++) {
            ClaudeMirrorProperties.Tenant t = p.getTenants().get(i);
            String k = "tenants[" + i + "].";
            put(f, k + "id", t.getId());
            put(f, k + "keys", t.getKeys());
            put(f, k + "limits.requestsPerMinute", t.getLimits().getRequestsPerMinute());
            put(f, k + "limits.inputTokensPerMinute", t.getLimits().getInputTokensPerMinute());
            put(f, k + "limits.outputTokensPerMinute", t.getLimits().getOutputTokensPerMinute());
            put(f, k + "limits.maxConcurrent", t.getLimits().getMaxConcurrent());
            put(f, k + "limits.tokensPerDay", t.getLimits().getTokensPerDay());
            put(f, k + "models", t.getModels());
            put(f, k + "priority", t.getPriority());
            put(f, k + "pii", t.getPii());
            for (Map.Entry<String, String> e : t.getUpstreamKeys().entrySet()) {
                put(f, k + "upstreamKeys." + e.getKey(), e.getValue());
            }
        }
        put(f, "rateLimit.mode", p.getRateLimit().getMode());
        put(f, "qos.maxInFlight", p.getQos().getMaxInFlight());
        put(f, "qos.maxQueueWait", p.getQos().getMaxQueueWait());
        put(f, "qos.maxQueued", p.getQos().getMaxQueued());
        put(f, "failover.maxAttempts", p.getFailover().getMaxAttempts());
        put(f, "failover.deadline", p.getFailover().getDeadline());
        put(f, "failover.firstByteTimeout", p.getFailover().getFirstByteTimeout());
        RoutingProperties r = p.getRouting();
        put(f, "routing.breaker.consecutiveFailures", r.getBreaker().getConsecutiveFailures());
        put(f, "routing.breaker.errorRatePercent", r.getBreaker().getErrorRatePercent());
        put(f, "routing.breaker.minRequests", r.getBreaker().getMinRequests());
        put(f, "routing.breaker.window", r.getBreaker().getWindow());
        put(f, "routing.breaker.cooldown", r.getBreaker().getCooldown());
        put(f, "routing.breaker.maxCooldown", r.getBreaker().getMaxCooldown());
        put(f, "routing.probe.interval", r.getProbe().getInterval());
        put(f, "routing.probe.timeout", r.getProbe().getTimeout());
        put(f, "routing.sticky.enabled", r.getSticky().getEnabled());
        put(f, "routing.sticky.ttl", r.getSticky().getTtl());
        put(f, "routing.sticky.maxEntries", r.getSticky().getMaxEntries());
        put(f, "routing.latencyDecay", r.getLatencyDecay());
        put(f, "routing.maxPacingWait", r.getMaxPacingWait());
        put(f, "proxy.maxThreads", p.getProxy().getMaxThreads());
        put(f, "proxy.maxConnectionsPerUpstream", p.getProxy().getMaxConnectionsPerUpstream());
        put(f, "proxy.forwardClientAddress", p.getProxy().getForwardClientAddress());
        put(f, "proxy.connectionWaitTimeout", p.getProxy().getConnectionWaitTimeout());
        put(f, "proxy.http2", p.getProxy().getHttp2());
        put(f, "cache.enabled", p.getCache().getEnabled());
        put(f, "cache.maxEntries", p.getCache().getMaxEntries());
        put(f, "cache.ttl", p.getCache().getTtl());
        put(f, "cache.messages", p.getCache().getMessages());
        put(f, "cache.shared", p.getCache().getShared());
        put(f, "cache.diskDir", p.getCache().getDiskDir());
        put(f, "cache.maxEntryBytes", p.getCache().getMaxEntryBytes());
        put(f, "cache.diskMaxBytes", p.getCache().getDiskMaxBytes());
        put(f, "pii.mode", p.getPii().getMode());
        put(f, "audit.dir", p.getAudit().getDir());
        put(f, "audit.retention", p.getAudit().getRetention());
        put(f, "audit.sink", p.getAudit().getSink());
        put(f, "audit.hashChain", p.getAudit().getHashChain());
        put(f, "redis.uri", p.getRedis().getUri());
        put(f, "admin.keys", p.getAdmin().getKeys());
        put(f, "admin.trustLoopback", p.getAdmin().getTrustLoopback());
        put(f, "publicBaseUrl", p.getPublicBaseUrl());
        put(f, "state.dir", p.getState().getDir());
        put(f, "redis.failurePolicy", p.getRedis().getFailurePolicy());
        put(f, "redis.timeout", p.getRedis().getTimeout());
        put(f, "redis.keyPrefix", p.getRedis().getKeyPrefix());
        put(f, "redis.leaseTtl", p.getRedis().getLeaseTtl());
        put(f, "redis.healthInterval", p.getRedis().getHealthInterval());
        return f;
    }

    private static void put(Map<String, String> f, String key, Object value) {
        if (value == null) {
            return;
        }
        String text;
        if (value instanceof Duration d) {
            // The mirror's reader takes 300ms/5s/…; milliseconds say every Duration Spring accepted exactly enough.
            text = d.toMillis() + "ms";
        } else if (value instanceof DataSize s) {
            text = Long.toString(s.toBytes());
        } else if (value instanceof List<?> list) {
            if (list.isEmpty()) {
                return;
            }
            text = String.join(",", list.stream().map(String::valueOf).toList());
        } else {
            text = value.toString();
        }
        f.put(key, text);
    }
}
