package io.claudemirror.config;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
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
        Redis redis,
        Admin admin,
        String publicBaseUrl,
        Routing routing,
        State state) {

    /** {@code state.dir} when none is given. */
    public static final String DEFAULT_STATE_DIR = "./mirror-state";

    public MirrorConfig {
        upstreams = List.copyOf(upstreams);
        tenants = List.copyOf(tenants);
        routing = routing == null ? Routing.DEFAULTS : routing;
        state = state == null ? new State(DEFAULT_STATE_DIR) : state;
    }

    /** One upstream Anthropic endpoint (api.anthropic.com or a regional relay). */
    public record Upstream(String name, URI url, String apiKey, int weight, boolean backup, Duration minInterval,
                           String region) {
        public Upstream {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(url, "url");
            region = region == null ? "" : region;
        }

        /** Without a region label (the constructor before {@code region} existed). */
        public Upstream(String name, URI url, String apiKey, int weight, boolean backup, Duration minInterval) {
            this(name, url, apiKey, weight, backup, minInterval, "");
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

    /**
     * Timeouts toward the upstream ({@code connect}, {@code idle}, {@code total}) and for the client's body
     * ({@code bodyRead}: the whole request body must arrive within it, else 408). Zero disables one.
     */
    public record Timeouts(Duration connect, Duration idle, Duration total, Duration bodyRead) {
    }

    /**
     * Who may read {@code /health} details, {@code /metrics} and the status page: a holder of one of {@code keys}
     * (same forms as tenant keys), or any loopback caller when {@code trustLoopback}.
     */
    public record Admin(List<String> keys, boolean trustLoopback) {
        public Admin {
            keys = List.copyOf(keys);
        }

        @Override
        public String toString() {
            return "Admin[" + keys.size() + " key(s), trustLoopback=" + trustLoopback + "]";
        }
    }

    public enum AuthMode { TENANTS, PASSTHROUGH }

    public record Auth(AuthMode mode) {
    }

    /**
     * A tenant: who may use the mirror with which keys, under which limits. {@code upstreamKeys} maps an upstream
     * name to the tenant's own credential for it (an Anthropic workspace key), sent instead of that upstream's
     * shared {@code apiKey}.
     */
    public record Tenant(String id, List<String> keys, Limits limits, List<String> models, int priority, PiiMode pii,
                         Map<String, String> upstreamKeys) {
        public Tenant {
            keys = List.copyOf(keys);
            models = List.copyOf(models);
            upstreamKeys = upstreamKeys == null ? Map.of() : Map.copyOf(upstreamKeys);
        }

        /** A tenant without credentials of its own (every upstream's shared key is used). */
        public Tenant(String id, List<String> keys, Limits limits, List<String> models, int priority, PiiMode pii) {
            this(id, keys, limits, models, priority, pii, Map.of());
        }

        /** The tenant's own credential for the upstream named {@code upstreamName}, or null to use the shared one. */
        public String upstreamKey(String upstreamName) {
            return upstreamKeys.get(upstreamName);
        }

        /**
         * True when the tenant brings its own credential for every one of {@code upstreams}: whatever upstream a
         * request is routed to, it lands in the tenant's own Anthropic workspace, which isolates it.
         */
        public boolean upstreamScoped(List<Upstream> upstreams) {
            if (upstreamKeys.isEmpty() || upstreams.isEmpty()) {
                return false;
            }
            for (Upstream u : upstreams) {
                if (!upstreamKeys.containsKey(u.name())) {
                    return false;
                }
            }
            return true;
        }

        @Override
        public String toString() {
            // Never print a credential: neither the mirror keys nor the upstream keys.
            return "Tenant[" + id + ", " + keys.size() + " key(s)"
                    + (upstreamKeys.isEmpty() ? "" : ", own keys for " + new java.util.TreeSet<>(upstreamKeys.keySet()))
                    + "]";
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

    /**
     * The retry budget before the first byte reaches the client: at most {@code maxAttempts} attempts, and no new
     * attempt once {@code deadline} has passed since the request arrived (zero: only {@code timeouts.total}
     * bounds it). {@code firstByteTimeout} (zero: off) abandons an attempt whose response headers have not
     * arrived in time and tries the next upstream; it does not apply to non-streamed {@code POST /v1/messages},
     * whose headers only come after the whole generation.
     */
    public record Failover(int maxAttempts, Duration deadline, Duration firstByteTimeout) {
        /** The constructor before the deadline and the first-byte timeout existed. */
        public Failover(int maxAttempts) {
            this(maxAttempts, Duration.ofSeconds(30), Duration.ZERO);
        }
    }

    /**
     * How the mirror chooses among upstreams (docs/routing.md). The breaker opens after
     * {@code consecutiveFailures} failures in a row, or when at least {@code errorRatePercent} of the last
     * {@code window}'s requests failed (with at least {@code minRequests} of them; 0 percent disables the rate);
     * it stays open {@code cooldown}, doubled at each failed trial up to {@code maxCooldown}. Probes
     * ({@code probeInterval} zero: off) send {@code GET /v1/models}. Conversations stick to an upstream for
     * {@code stickyTtl}, at most {@code stickyMaxEntries} remembered. {@code latencyDecay} is the peak-EWMA time
     * constant. A request that would wait longer than {@code maxPacingWait} for its pacing slot is refused.
     */
    public record Routing(int consecutiveFailures, int errorRatePercent, int minRequests, Duration window,
                          Duration cooldown, Duration maxCooldown, Duration probeInterval, Duration probeTimeout,
                          boolean sticky, Duration stickyTtl, int stickyMaxEntries, Duration latencyDecay,
                          Duration maxPacingWait) {
        public static final Routing DEFAULTS = new Routing(5, 50, 20, Duration.ofSeconds(30), Duration.ofSeconds(10),
                Duration.ofMinutes(5), Duration.ZERO, Duration.ofSeconds(5), true, Duration.ofHours(1), 10_000,
                Duration.ofSeconds(10), Duration.ofSeconds(30));
    }

    /**
     * Knobs of the proxy's HTTP client and of header forwarding.
     *
     * @param connectionWaitTimeout longest a request waits for a pooled upstream connection when every one is busy
     *                              ({@code proxy.connectionWaitTimeout}); then 529. Zero: no bound
     * @param http2                 which HTTP version the client speaks to the upstreams ({@code proxy.http2})
     */
    public record Proxy(int maxThreads, int maxConnectionsPerUpstream, boolean forwardClientAddress,
                        Duration connectionWaitTimeout, Http2 http2) {
        public static final Duration DEFAULT_CONNECTION_WAIT = Duration.ofSeconds(10);

        /** Without a connection-wait bound given: the default one, and HTTP/2 when the upstream offers it. */
        public Proxy(int maxThreads, int maxConnectionsPerUpstream, boolean forwardClientAddress) {
            this(maxThreads, maxConnectionsPerUpstream, forwardClientAddress, DEFAULT_CONNECTION_WAIT, Http2.AUTO);
        }
    }

    /**
     * HTTP/2 to the upstreams ({@code proxy.http2}). {@code AUTO}: an https upstream is asked for h2 through ALPN and
     * spoken to in HTTP/1.1 when it does not offer it, a cleartext one in HTTP/1.1. {@code ON}: h2 on https, h2c
     * with prior knowledge on http, no fallback. {@code OFF}: HTTP/1.1 only.
     */
    public enum Http2 {
        AUTO, ON, OFF;

        static Http2 parse(String key, String text) {
            String value = text.trim().toLowerCase(Locale.ROOT);
            // YAML 1.1 reads a bare on/off as a boolean: accept what the operator wrote.
            if (value.equals("true") || value.equals("false")) {
                return value.equals("true") ? ON : OFF;
            }
            try {
                return valueOf(value.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new ConfigException(key, "'" + text + "' is not one of auto, on, off");
            }
        }
    }

    public enum CacheMessages { OFF, DETERMINISTIC, ALL }

    /**
     * The response cache ({@code cache.*}).
     *
     * @param maxEntryBytes largest answer stored ({@code cache.maxEntryBytes}); larger ones pass uncached
     * @param diskMaxBytes  size of the disk tier when {@code diskDir} is set ({@code cache.diskMaxBytes})
     */
    public record Cache(boolean enabled, int maxEntries, Duration ttl, CacheMessages messages, boolean shared,
                        String diskDir, long maxEntryBytes, long diskMaxBytes) {
        public static final long DEFAULT_MAX_ENTRY_BYTES = 4L << 20;
        public static final long DEFAULT_DISK_MAX_BYTES = 512L << 20;

        /** With the default entry cap and disk size. */
        public Cache(boolean enabled, int maxEntries, Duration ttl, CacheMessages messages, boolean shared,
                     String diskDir) {
            this(enabled, maxEntries, ttl, messages, shared, diskDir, DEFAULT_MAX_ENTRY_BYTES, DEFAULT_DISK_MAX_BYTES);
        }
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

    /** Where the mirror keeps durable state of its own (the file and batch ownership index). */
    public record State(String dir) {
    }

    /**
     * Cluster mode ({@code redis.*}): with a URI, tenant limits, concurrency permits, the ownership index, a
     * response-cache tier and upstream pacing/pause/stickiness live in Redis and hold across every node.
     *
     * @param uri            {@code redis://}, {@code rediss://}, {@code redis-sentinel://} or {@code redis-cluster://}
     * @param failOpen       on Redis trouble: true = fall back to this node's own limits ({@code failurePolicy: open}),
     *                       false = refuse limited requests ({@code closed}); ownership checks always fail closed
     * @param timeout        the longest a request waits for one Redis command
     * @param keyPrefix      prefix of every key the mirror writes (several mirrors may share one Redis)
     * @param leaseTtl       lifetime of a concurrency permit's lease; renewed while its request runs, so a dead
     *                       node's permits come back after at most this long
     * @param healthInterval how often the node pings Redis to notice it is back (or gone while idle)
     */
    public record Redis(String uri, boolean failOpen, Duration timeout, String keyPrefix, Duration leaseTtl,
                        Duration healthInterval) {
        public static final Duration DEFAULT_TIMEOUT = Duration.ofMillis(200);
        public static final String DEFAULT_KEY_PREFIX = "claude-mirror:";
        public static final Duration DEFAULT_LEASE_TTL = Duration.ofSeconds(15);
        public static final Duration DEFAULT_HEALTH_INTERVAL = Duration.ofSeconds(1);

        public Redis(String uri) {
            this(uri, true, DEFAULT_TIMEOUT, DEFAULT_KEY_PREFIX, DEFAULT_LEASE_TTL, DEFAULT_HEALTH_INTERVAL);
        }

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
                + " cache=" + cache.enabled() + " redis=" + (redis.enabled() ? "on(failurePolicy=" + (redis.failOpen() ? "open" : "closed")
                + ", timeout=" + redis.timeout() + ")" : "off") + " admin(keys=" + admin.keys().size()
                + ", trustLoopback=" + admin.trustLoopback() + ")" + " proxy.http2=" + proxy.http2().name().toLowerCase(Locale.ROOT)
                + (publicBaseUrl.isEmpty() ? "" : " publicBaseUrl=" + publicBaseUrl) + " state.dir=" + state.dir();
    }

    public static MirrorConfigBuilder builder() {
        return new MirrorConfigBuilder();
    }
}
