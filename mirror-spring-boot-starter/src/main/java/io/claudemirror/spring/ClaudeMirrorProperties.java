package io.claudemirror.spring;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.NestedConfigurationProperty;
import org.springframework.util.unit.DataSize;

/**
 * The mirror's configuration as Spring properties under {@code claude.mirror.*}: the same keys as the YAML file
 * (docs/configuration.md), in Spring's relaxed forms ({@code claude.mirror.upstreams[0].api-key} or
 * {@code apiKey}, environment variables such as {@code CLAUDE_MIRROR_MOUNTPATH}). Unset properties keep the
 * mirror's own defaults: every value is handed to the mirror's one validator ({@link MirrorConfigFactory}), so a
 * bad value stops start-up with a message naming the key, as a bad YAML file does. Unknown keys under the prefix
 * are refused too, so every key the YAML reader accepts has a property here ({@code StarterPropertiesTest} binds
 * each one).
 */
@ConfigurationProperties(prefix = "claude.mirror", ignoreUnknownFields = false)
public class ClaudeMirrorProperties {
    /** Whether to mount the mirror at all. */
    private boolean enabled = true;
    /** A YAML configuration file read first; the properties set here override its keys. */
    private String config;
    /** Where the mirror is mounted: empty for /v1/*, or a path like /claude. */
    private String mountPath;
    /** Upstreams, tried in order of preference. */
    private List<Upstream> upstreams = new ArrayList<>();
    private final Timeouts timeouts = new Timeouts();
    /** Largest request body accepted (default 32MB); larger ones get 413 request_too_large. */
    private DataSize maxRequestBytes;
    private final Auth auth = new Auth();
    /** Tenants: who may call the mirror, with which keys and limits. */
    private List<Tenant> tenants = new ArrayList<>();
    private final RateLimit rateLimit = new RateLimit();
    private final Qos qos = new Qos();
    private final Failover failover = new Failover();
    private final Proxy proxy = new Proxy();
    private final Cache cache = new Cache();
    private final Pii pii = new Pii();
    private final Audit audit = new Audit();
    private final Redis redis = new Redis();
    private final Admin admin = new Admin();
    /** Public base URL of the mirror (e.g. https://ai.example.com/claude), used to rewrite batch results_url. */
    private String publicBaseUrl;
    private final State state = new State();
    /** Circuit breaker, probes, stickiness and pacing of the upstream choice. */
    @NestedConfigurationProperty
    private final RoutingProperties routing = new RoutingProperties();

    public boolean isEnabled() { return enabled; }
    public void setEnabled(boolean enabled) { this.enabled = enabled; }
    public String getConfig() { return config; }
    public void setConfig(String config) { this.config = config; }
    public String getMountPath() { return mountPath; }
    public void setMountPath(String mountPath) { this.mountPath = mountPath; }
    public List<Upstream> getUpstreams() { return upstreams; }
    public void setUpstreams(List<Upstream> upstreams) { this.upstreams = upstreams; }
    public Timeouts getTimeouts() { return timeouts; }
    public DataSize getMaxRequestBytes() { return maxRequestBytes; }
    public void setMaxRequestBytes(DataSize maxRequestBytes) { this.maxRequestBytes = maxRequestBytes; }
    public Auth getAuth() { return auth; }
    public List<Tenant> getTenants() { return tenants; }
    public void setTenants(List<Tenant> tenants) { this.tenants = tenants; }
    public RateLimit getRateLimit() { return rateLimit; }
    public Qos getQos() { return qos; }
    public Failover getFailover() { return failover; }
    public Proxy getProxy() { return proxy; }
    public Cache getCache() { return cache; }
    public Pii getPii() { return pii; }
    public Audit getAudit() { return audit; }
    public Redis getRedis() { return redis; }
    public Admin getAdmin() { return admin; }
    public String getPublicBaseUrl() { return publicBaseUrl; }
    public void setPublicBaseUrl(String publicBaseUrl) { this.publicBaseUrl = publicBaseUrl; }
    public State getState() { return state; }
    public RoutingProperties getRouting() { return routing; }

    /** One upstream Anthropic API (or relay). */
    public static class Upstream {
        /** Name in metrics, logs and /health (default primary, upstream1…). */
        private String name;
        /** Base URL without /v1, e.g. https://api.anthropic.com. */
        private String url;
        /** Credential injected as x-api-key; clients never see it. */
        private String apiKey;
        /** Share of traffic among healthy upstreams (default 1). */
        private Integer weight;
        /** Used only when every non-backup upstream is unhealthy. */
        private Boolean backup;
        /** Least time between two requests sent to this upstream (default 0ms). */
        private Duration minInterval;
        /** Free-form region label, shown in /health and metrics (default empty). */
        private String region;

        public String getName() { return name; }
        public void setName(String name) { this.name = name; }
        public String getUrl() { return url; }
        public void setUrl(String url) { this.url = url; }
        public String getApiKey() { return apiKey; }
        public void setApiKey(String apiKey) { this.apiKey = apiKey; }
        public Integer getWeight() { return weight; }
        public void setWeight(Integer weight) { this.weight = weight; }
        public Boolean getBackup() { return backup; }
        public void setBackup(Boolean backup) { this.backup = backup; }
        public Duration getMinInterval() { return minInterval; }
        public void setMinInterval(Duration minInterval) { this.minInterval = minInterval; }
        public String getRegion() { return region; }
        public void setRegion(String region) { this.region = region; }
    }

    /** Timeouts of the exchange with the upstream. */
    public static class Timeouts {
        /** Connecting to an upstream (default 5s). */
        private Duration connect;
        /** Longest silence on a connection, streams included (default 5m). */
        private Duration idle;
        /** Longest whole exchange (default 10m). */
        private Duration total;
        /** The whole request body must arrive within this, else 408 (default 30s; 0 disables). */
        private Duration bodyRead;

        public Duration getConnect() { return connect; }
        public void setConnect(Duration connect) { this.connect = connect; }
        public Duration getIdle() { return idle; }
        public void setIdle(Duration idle) { this.idle = idle; }
        public Duration getTotal() { return total; }
        public void setTotal(Duration total) { this.total = total; }
        public Duration getBodyRead() { return bodyRead; }
        public void setBodyRead(Duration bodyRead) { this.bodyRead = bodyRead; }
    }

    /** How clients authenticate. */
    public static class Auth {
        /** tenants (mirror keys, default) or passthrough (forward the client's own key). */
        private String mode;

        public String getMode() { return mode; }
        public void setMode(String mode) { this.mode = mode; }
    }

    /** One tenant. */
    public static class Tenant {
        /** Tenant id, as in metrics and audit records. */
        private String id;
        /** Mirror keys: sha256:HEX of the key, or plain:KEY (demos and tests only). */
        private List<String> keys = new ArrayList<>();
        private final Limits limits = new Limits();
        /** Glob allow-list of models; empty allows all. */
        private List<String> models = new ArrayList<>();
        /** Higher wins when the upstream side is saturated (default 1). */
        private Integer priority;
        /** PII mode for this tenant: off, detect, mask, redact or block. */
        private String pii;
        /** Upstream name to the credential used for this tenant instead of the upstream's api-key. */
        private Map<String, String> upstreamKeys = new LinkedHashMap<>();

        public String getId() { return id; }
        public void setId(String id) { this.id = id; }
        public List<String> getKeys() { return keys; }
        public void setKeys(List<String> keys) { this.keys = keys; }
        public Limits getLimits() { return limits; }
        public List<String> getModels() { return models; }
        public void setModels(List<String> models) { this.models = models; }
        public Integer getPriority() { return priority; }
        public void setPriority(Integer priority) { this.priority = priority; }
        public String getPii() { return pii; }
        public void setPii(String pii) { this.pii = pii; }
        public Map<String, String> getUpstreamKeys() { return upstreamKeys; }
        public void setUpstreamKeys(Map<String, String> upstreamKeys) { this.upstreamKeys = upstreamKeys; }
    }

    /** A tenant's limits; 0 or unset means unlimited. */
    public static class Limits {
        /** Requests per minute. */
        private Long requestsPerMinute;
        /** Input tokens per minute. */
        private Long inputTokensPerMinute;
        /** Output tokens per minute. */
        private Long outputTokensPerMinute;
        /** Requests in flight at once. */
        private Integer maxConcurrent;
        /** Input plus output tokens per day. */
        private Long tokensPerDay;

        public Long getRequestsPerMinute() { return requestsPerMinute; }
        public void setRequestsPerMinute(Long v) { this.requestsPerMinute = v; }
        public Long getInputTokensPerMinute() { return inputTokensPerMinute; }
        public void setInputTokensPerMinute(Long v) { this.inputTokensPerMinute = v; }
        public Long getOutputTokensPerMinute() { return outputTokensPerMinute; }
        public void setOutputTokensPerMinute(Long v) { this.outputTokensPerMinute = v; }
        public Integer getMaxConcurrent() { return maxConcurrent; }
        public void setMaxConcurrent(Integer v) { this.maxConcurrent = v; }
        public Long getTokensPerDay() { return tokensPerDay; }
        public void setTokensPerDay(Long v) { this.tokensPerDay = v; }
    }

    /** Whether limits reject or only count. */
    public static class RateLimit {
        /** enforce (default) or observe (count what would have been rejected). */
        private String mode;

        public String getMode() { return mode; }
        public void setMode(String mode) { this.mode = mode; }
    }

    /** Upstream-side admission: how many requests may be in flight, and the queue in front. */
    public static class Qos {
        /** Requests in flight towards the upstreams; 0 = unlimited. */
        private Integer maxInFlight;
        /** Longest wait in the queue (default 30s). */
        private Duration maxQueueWait;
        /** Queue length (default 100). */
        private Integer maxQueued;

        public Integer getMaxInFlight() { return maxInFlight; }
        public void setMaxInFlight(Integer v) { this.maxInFlight = v; }
        public Duration getMaxQueueWait() { return maxQueueWait; }
        public void setMaxQueueWait(Duration v) { this.maxQueueWait = v; }
        public Integer getMaxQueued() { return maxQueued; }
        public void setMaxQueued(Integer v) { this.maxQueued = v; }
    }

    /** Failover between upstreams before the first byte. */
    public static class Failover {
        /** Attempts per request, the first included (default min(3, upstreams)). */
        private Integer maxAttempts;
        /** No new attempt once this has passed since the request arrived (default 30s; 0: only timeouts.total). */
        private Duration deadline;
        /** An attempt without response headers within this tries the next upstream (default 0: off). */
        private Duration firstByteTimeout;

        public Integer getMaxAttempts() { return maxAttempts; }
        public void setMaxAttempts(Integer v) { this.maxAttempts = v; }
        public Duration getDeadline() { return deadline; }
        public void setDeadline(Duration v) { this.deadline = v; }
        public Duration getFirstByteTimeout() { return firstByteTimeout; }
        public void setFirstByteTimeout(Duration v) { this.firstByteTimeout = v; }
    }

    /** The proxy's HTTP client. */
    public static class Proxy {
        /** Threads of the upstream client (default 64). */
        private Integer maxThreads;
        /** Connections per upstream (default 4096). */
        private Integer maxConnectionsPerUpstream;
        /** Whether to forward the client's address upstream (default false). */
        private Boolean forwardClientAddress;
        /** Longest wait for a free upstream connection before 529 (default 10s; 0: no bound). */
        private Duration connectionWaitTimeout;
        /** HTTP/2 to the upstreams: auto (h2 when an https upstream offers it), on, off (default auto). */
        private String http2;

        public String getHttp2() { return http2; }
        public void setHttp2(String v) { this.http2 = v; }

        public Duration getConnectionWaitTimeout() { return connectionWaitTimeout; }
        public void setConnectionWaitTimeout(Duration v) { this.connectionWaitTimeout = v; }

        public Integer getMaxThreads() { return maxThreads; }
        public void setMaxThreads(Integer v) { this.maxThreads = v; }
        public Integer getMaxConnectionsPerUpstream() { return maxConnectionsPerUpstream; }
        public void setMaxConnectionsPerUpstream(Integer v) { this.maxConnectionsPerUpstream = v; }
        public Boolean getForwardClientAddress() { return forwardClientAddress; }
        public void setForwardClientAddress(Boolean v) { this.forwardClientAddress = v; }
    }

    /** The response cache. */
    public static class Cache {
        /** Whether the cache is on (default false). */
        private Boolean enabled;
        /** Entries kept in memory (default 1000). */
        private Integer maxEntries;
        /** How long an entry lives (default 1h). */
        private Duration ttl;
        /** off, deterministic (default) or all. */
        private String messages;
        /** Whether tenants share entries (default false). */
        private Boolean shared;
        /** Non-empty: entries survive a restart in this directory. */
        private String diskDir;
        /** Largest response kept as an entry (default 4MB, at least 1KB). */
        private DataSize maxEntryBytes;
        /** Bound of the disk tier (default 512MB, at least max-entry-bytes). */
        private DataSize diskMaxBytes;

        public Boolean getEnabled() { return enabled; }
        public void setEnabled(Boolean v) { this.enabled = v; }
        public Integer getMaxEntries() { return maxEntries; }
        public void setMaxEntries(Integer v) { this.maxEntries = v; }
        public Duration getTtl() { return ttl; }
        public void setTtl(Duration v) { this.ttl = v; }
        public String getMessages() { return messages; }
        public void setMessages(String v) { this.messages = v; }
        public Boolean getShared() { return shared; }
        public void setShared(Boolean v) { this.shared = v; }
        public String getDiskDir() { return diskDir; }
        public void setDiskDir(String v) { this.diskDir = v; }
        public DataSize getMaxEntryBytes() { return maxEntryBytes; }
        public void setMaxEntryBytes(DataSize v) { this.maxEntryBytes = v; }
        public DataSize getDiskMaxBytes() { return diskMaxBytes; }
        public void setDiskMaxBytes(DataSize v) { this.diskMaxBytes = v; }
    }

    /** Personal data in prompts. */
    public static class Pii {
        /** off (default), detect, mask, redact (reversible) or block. */
        private String mode;

        public String getMode() { return mode; }
        public void setMode(String mode) { this.mode = mode; }
    }

    /** The audit log. */
    public static class Audit {
        /** Directory of the daily audit-YYYY-MM-DD.jsonl files (default ./audit; empty: off). */
        private String dir;
        /** How long files are kept (default 7d). */
        private Duration retention;
        /** file (default: daily files under dir) or slf4j (INFO lines on the logger claude.mirror.audit). */
        private String sink;
        /** Add seq and prev (SHA-256 of the previous line) to each file record, for AuditVerifier. */
        private Boolean hashChain;

        public String getDir() { return dir; }
        public void setDir(String v) { this.dir = v; }
        public Duration getRetention() { return retention; }
        public void setRetention(Duration v) { this.retention = v; }
        public String getSink() { return sink; }
        public void setSink(String v) { this.sink = v; }
        public Boolean getHashChain() { return hashChain; }
        public void setHashChain(Boolean v) { this.hashChain = v; }
    }

    /** Cluster mode. */
    public static class Redis {
        /** Non-empty: cluster mode (limits, permits, cache tier, ownership, pacing shared through Redis). */
        private String uri;
        /** Redis down: open (each host enforces its own limits, default) or closed (429 for limited tenants). */
        private String failurePolicy;
        /** Longest wait for one Redis command (default 200ms). */
        private Duration timeout;
        /** Prefix of every key the mirror writes (default claude-mirror:). */
        private String keyPrefix;
        /** Lifetime of a concurrency permit's lease (default 15s). */
        private Duration leaseTtl;
        /** Health ping interval (default 1s). */
        private Duration healthInterval;

        public String getUri() { return uri; }
        public void setUri(String v) { this.uri = v; }
        public String getFailurePolicy() { return failurePolicy; }
        public void setFailurePolicy(String v) { this.failurePolicy = v; }
        public Duration getTimeout() { return timeout; }
        public void setTimeout(Duration v) { this.timeout = v; }
        public String getKeyPrefix() { return keyPrefix; }
        public void setKeyPrefix(String v) { this.keyPrefix = v; }
        public Duration getLeaseTtl() { return leaseTtl; }
        public void setLeaseTtl(Duration v) { this.leaseTtl = v; }
        public Duration getHealthInterval() { return healthInterval; }
        public void setHealthInterval(Duration v) { this.healthInterval = v; }
    }

    /** Who may see /health details, /metrics and /mirror/status. */
    public static class Admin {
        /** Admin keys, in the forms of tenant keys (sha256:HEX or plain:KEY). */
        private List<String> keys = new ArrayList<>();
        /** Whether a loopback caller counts as admin (default false). */
        private Boolean trustLoopback;

        public List<String> getKeys() { return keys; }
        public void setKeys(List<String> v) { this.keys = v; }
        public Boolean getTrustLoopback() { return trustLoopback; }
        public void setTrustLoopback(Boolean v) { this.trustLoopback = v; }
    }

    /** Durable mirror state. */
    public static class State {
        /** Directory of the file/batch ownership index (default ./mirror-state). */
        private String dir;

        public String getDir() { return dir; }
        public void setDir(String v) { this.dir = v; }
    }
}
