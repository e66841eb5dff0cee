package io.claudemirror.config;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * The whole, validated, immutable configuration of one mirror. Every adapter (YAML, servlet init-params,
 * Spring properties, {@link #builder()}) produces one of these through {@link ConfigReader}, so validation
 * happens in exactly one place. Key names are those of {@code docs/configuration.md}.
 */
public record MirrorConfig(
        String mountPath,
        List<Upstream> upstreams,
        Timeouts timeouts,
        long maxRequestBytes,
        Auth auth,
        List<Tenant> tenants,
        RateLimit rateLimit,
        Qos qos,
        Failover failover,
        Proxy proxy,
        Cache cache,
        Pii pii,
        Audit audit,
        Redis redis) {

    public MirrorConfig {
        upstreams = List.copyOf(upstreams);
        tenants = List.copyOf(tenants);
    }

    /** One upstream Anthropic endpoint (api.anthropic.com or a regional relay). */
    public record Upstream(String name, URI url, String apiKey, int weight, boolean backup, Duration minInterval) {
        public Upstream {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(url, "url");
        }

        /** Scheme, host and port plus any base path, without a trailing slash. */
        public String base() {
            String s = url.toString();
            return s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
        }

        @Override
        public String toString() {
            // Never print the credential.
            return "Upstream[" + name + " " + url + (backup ? " backup" : "") + "]";
        }
    }

    /** Timeouts toward the upstream. Zero disables one. */
    public record Timeouts(Duration connect, Duration idle, Duration total) {
    }

    public enum AuthMode { TENANTS, PASSTHROUGH }

    public record Auth(AuthMode mode) {
    }

    /** A tenant: who may use the mirror with which keys, under which limits. */
    public record Tenant(String id, List<String> keys, Limits limits, List<String> models, int priority, PiiMode pii) {
        public Tenant {
            keys = List.copyOf(keys);
            models = List.copyOf(models);
        }

        @Override
        public String toString() {
            return "Tenant[" + id + ", " + keys.size() + " key(s)]";
        }
    }

    /** Per-tenant limits; 0 means unlimited for each. */
    public record Limits(long requestsPerMinute, long inputTokensPerMinute, long outputTokensPerMinute,
                         int maxConcurrent, long tokensPerDay) {
        public static final Limits UNLIMITED = new Limits(0, 0, 0, 0, 0);

        public boolean any() {
            return requestsPerMinute > 0 || inputTokensPerMinute > 0 || outputTokensPerMinute > 0
                    || maxConcurrent > 0 || tokensPerDay > 0;
        }
    }

    /** {@code enforce} rejects over-limit requests; {@code observe} only counts and sets headers. */
    public record RateLimit(boolean enforce) {
    }

    /**
     * Mirror-wide cap on requests in flight to the upstream side. Above it requests wait, highest tenant
     * priority first, up to {@code maxQueueWait}; {@code maxInFlight = 0} disables the cap.
     */
    public record Qos(int maxInFlight, Duration maxQueueWait, int maxQueued) {
    }

    /** How many upstream attempts one request may make before the first byte reaches the client. */
    public record Failover(int maxAttempts) {
    }

    /** Knobs of the proxy's HTTP client and of header forwarding. */
    public record Proxy(int maxThreads, int maxConnectionsPerUpstream, boolean forwardClientAddress) {
    }

    public enum CacheMessages { OFF, DETERMINISTIC, ALL }

    public record Cache(boolean enabled, int maxEntries, Duration ttl, CacheMessages messages, boolean shared,
                        String diskDir) {
    }

    public enum PiiMode {
        OFF, DETECT, MASK, REDACT, BLOCK;

        static PiiMode parse(String key, String text) {
            try {
                return valueOf(text.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new ConfigException(key, "'" + text + "' is not one of off, detect, mask, redact, block");
            }
        }
    }

    public record Pii(PiiMode mode) {
    }

    /**
     * Audit log: {@code sink} is {@code file} (daily files under {@code dir}) or {@code slf4j} (one INFO line per
     * record on the logger {@code claude.mirror.audit}); {@code hashChain} adds {@code seq} and {@code prev} (the
     * SHA-256 of the previous line) to every file record, checked by {@code io.claudemirror.audit.AuditVerifier}.
     */
    public record Audit(String dir, Duration retention, String sink, boolean hashChain) {
        public Audit(String dir, Duration retention) {
            this(dir, retention, "file", false);
        }
    }

    public record Redis(String uri) {
        public boolean enabled() {
            return uri != null && !uri.isEmpty();
        }
    }

    /** Finds a tenant by id, or null. */
    public Tenant tenant(String id) {
        for (Tenant t : tenants) {
            if (t.id().equals(id)) {
                return t;
            }
        }
        return null;
    }

    /** The one-line summary logged at start-up: effective values, never a credential. */
    public String summary() {
        List<String> ups = new ArrayList<>();
        for (Upstream u : upstreams) {
            ups.add(u.name() + "=" + u.url() + (u.backup() ? "(backup)" : ""));
        }
        return "mountPath='" + mountPath + "' upstreams=" + ups + " timeouts(connect=" + timeouts.connect()
                + ", idle=" + timeouts.idle() + ", total=" + timeouts.total() + ") maxRequestBytes=" + maxRequestBytes
                + " auth=" + auth.mode().name().toLowerCase(Locale.ROOT) + " tenants=" + tenants.size()
                + " rateLimit=" + (rateLimit.enforce() ? "enforce" : "observe")
                + " qos.maxInFlight=" + qos.maxInFlight() + " pii=" + pii.mode().name().toLowerCase(Locale.ROOT)
                + " cache=" + cache.enabled() + " redis=" + redis.enabled();
    }

    public static MirrorConfigBuilder builder() {
        return new MirrorConfigBuilder();
    }
}
