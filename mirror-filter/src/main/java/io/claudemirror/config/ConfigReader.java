package io.claudemirror.config;

import io.claudemirror.config.MirrorConfig.Audit;
import io.claudemirror.config.MirrorConfig.Admin;
import io.claudemirror.config.MirrorConfig.Auth;
import io.claudemirror.config.MirrorConfig.AuthMode;
import io.claudemirror.config.MirrorConfig.Cache;
import io.claudemirror.config.MirrorConfig.CacheMessages;
import io.claudemirror.config.MirrorConfig.Failover;
import io.claudemirror.config.MirrorConfig.Limits;
import io.claudemirror.config.MirrorConfig.Pii;
import io.claudemirror.config.MirrorConfig.PiiMode;
import io.claudemirror.config.MirrorConfig.Proxy;
import io.claudemirror.config.MirrorConfig.Qos;
import io.claudemirror.config.MirrorConfig.RateLimit;
import io.claudemirror.config.MirrorConfig.Redis;
import io.claudemirror.config.MirrorConfig.Routing;
import io.claudemirror.config.MirrorConfig.State;
import io.claudemirror.config.MirrorConfig.Tenant;
import io.claudemirror.config.MirrorConfig.Timeouts;
import io.claudemirror.config.MirrorConfig.Upstream;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** Turns a configuration tree (maps, lists, scalars) into a validated {@link MirrorConfig}. */
public final class ConfigReader {
    /** Defaults, public so documentation and tests can pin them. */
    public static final Duration DEFAULT_CONNECT = Duration.ofSeconds(5);
    public static final Duration DEFAULT_IDLE = Duration.ofMinutes(5);
    public static final Duration DEFAULT_TOTAL = Duration.ofMinutes(10);
    public static final long DEFAULT_MAX_REQUEST_BYTES = 32L * 1024 * 1024;
    /** An honest client sends 32 MB in far less on any link that can carry a prompt; a stalled one is cut. */
    public static final Duration DEFAULT_BODY_READ = Duration.ofSeconds(30);

    private ConfigReader() {
    }

    public static MirrorConfig read(Map<String, Object> tree) {
        return read(tree, System.getenv());
    }

    public static MirrorConfig read(Map<String, Object> tree, Map<String, String> env) {
        ConfigNode root = new ConfigNode("", tree, env);
        String mountPath = mountPath(root);

        List<Upstream> upstreams = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (ConfigNode u : root.children("upstreams")) {
            Upstream up = upstream(u, upstreams.size());
            if (!names.add(up.name())) {
                throw new ConfigException(u.key("name"), "duplicate upstream name '" + up.name() + "'");
            }
            upstreams.add(up);
        }
        if (upstreams.isEmpty()) {
            throw new ConfigException("upstreams", "at least one upstream is required");
        }
        if (upstreams.stream().allMatch(Upstream::backup)) {
            throw new ConfigException("upstreams", "every upstream is a backup; mark at least one backup: false");
        }

        ConfigNode t = root.child("timeouts");
        Timeouts timeouts = new Timeouts(t.duration("connect", DEFAULT_CONNECT), t.duration("idle", DEFAULT_IDLE),
                t.duration("total", DEFAULT_TOTAL), t.duration("bodyRead", DEFAULT_BODY_READ));
        t.finish();

        long maxRequestBytes = root.bytes("maxRequestBytes", DEFAULT_MAX_REQUEST_BYTES);

        ConfigNode a = root.child("auth");
        String modeText = a.string("mode", "tenants");
        AuthMode mode;
        try {
            mode = AuthMode.valueOf(modeText.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new ConfigException("auth.mode", "'" + modeText + "' is not tenants or passthrough");
        }
        a.finish();

        ConfigNode p = root.child("pii");
        Pii pii = new Pii(PiiMode.parse("pii.mode", p.string("mode", "off")));
        p.finish();

        List<Tenant> tenants = new ArrayList<>();
        Set<String> ids = new HashSet<>();
        Set<String> keys = new HashSet<>();
        for (ConfigNode tn : root.children("tenants")) {
            Tenant tenant = tenant(tn, names);
            if (!ids.add(tenant.id())) {
                throw new ConfigException(tn.key("id"), "duplicate tenant id '" + tenant.id() + "'");
            }
            for (String k : tenant.keys()) {
                if (!keys.add(k)) {
                    throw new ConfigException(tn.key("keys"), "a key is listed for more than one tenant");
                }
            }
            tenants.add(tenant);
        }
        if (mode == AuthMode.TENANTS && tenants.isEmpty()) {
            throw new ConfigException("tenants", "auth.mode is tenants but no tenant is configured");
        }
        if (mode == AuthMode.PASSTHROUGH && !tenants.isEmpty()) {
            throw new ConfigException("tenants", "auth.mode passthrough forwards the client's own key; remove tenants");
        }

        ConfigNode rl = root.child("rateLimit");
        String rlMode = rl.string("mode", "enforce");
        if (!rlMode.equals("enforce") && !rlMode.equals("observe")) {
            throw new ConfigException("rateLimit.mode", "'" + rlMode + "' is not enforce or observe");
        }
        RateLimit rateLimit = new RateLimit(rlMode.equals("enforce"));
        rl.finish();

        ConfigNode q = root.child("qos");
        Qos qos = new Qos((int) q.number("maxInFlight", 0, 0), q.duration("maxQueueWait", Duration.ofSeconds(30)),
                (int) q.number("maxQueued", 100, 1));
        q.finish();

        ConfigNode f = root.child("failover");
        Failover failover = new Failover((int) f.number("maxAttempts", Math.min(3, upstreams.size()), 1),
                f.duration("deadline", Duration.ofSeconds(30)), f.duration("firstByteTimeout", Duration.ZERO));
        f.finish();
        Routing routing = routing(root.child("routing"));

        ConfigNode px = root.child("proxy");
        // 4096 connections: a Claude Code stream holds one for minutes, and a team relay holds a thousand at once.
        Proxy proxy = new Proxy((int) px.number("maxThreads", 64, 4), (int) px.number("maxConnectionsPerUpstream", 4096, 1),
                px.bool("forwardClientAddress", false), px.duration("connectionWaitTimeout", Proxy.DEFAULT_CONNECTION_WAIT),
                MirrorConfig.Http2.parse("proxy.http2", px.string("http2", "auto")));
        px.finish();

        ConfigNode c = root.child("cache");
        String msgs = c.string("messages", "deterministic");
        CacheMessages cacheMessages;
        try {
            cacheMessages = CacheMessages.valueOf(msgs.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new ConfigException("cache.messages", "'" + msgs + "' is not off, deterministic or all");
        }
        long maxEntryBytes = c.bytes("maxEntryBytes", Cache.DEFAULT_MAX_ENTRY_BYTES);
        if (maxEntryBytes < 1024) {
            throw new ConfigException("cache.maxEntryBytes", "must be at least 1KB");
        }
        long diskMaxBytes = c.bytes("diskMaxBytes", Cache.DEFAULT_DISK_MAX_BYTES);
        if (diskMaxBytes < maxEntryBytes) {
            throw new ConfigException("cache.diskMaxBytes", "must be at least cache.maxEntryBytes");
        }
        Cache cache = new Cache(c.bool("enabled", false), (int) c.number("maxEntries", 1000, 1),
                c.duration("ttl", Duration.ofHours(1)), cacheMessages, c.bool("shared", false), c.string("diskDir", ""),
                maxEntryBytes, diskMaxBytes);
        c.finish();

        ConfigNode au = root.child("audit");
        String sink = au.string("sink", "file");
        if (!sink.equals("file") && !sink.equals("slf4j")) {
            throw new ConfigException("audit.sink", "'" + sink + "' is not file or slf4j");
        }
        Audit audit = new Audit(au.string("dir", "./audit"), au.duration("retention", Duration.ofDays(7)), sink,
                au.bool("hashChain", false));
        au.finish();

        ConfigNode r = root.child("redis");
        Redis redis = redis(r);

        ConfigNode ad = root.child("admin");
        List<String> adminKeys = ad.strings("keys");
        for (int i = 0; i < adminKeys.size(); i++) {
            checkKey(ad.key("keys") + "[" + i + "]", adminKeys.get(i));
        }
        Admin admin = new Admin(adminKeys, ad.bool("trustLoopback", false));
        ad.finish();

        String publicBaseUrl = publicBaseUrl(root);

        ConfigNode st = root.child("state");
        String stateDir = st.string("dir", MirrorConfig.DEFAULT_STATE_DIR).trim();
        if (stateDir.isEmpty()) {
            throw new ConfigException("state.dir", "must name a directory (default " + MirrorConfig.DEFAULT_STATE_DIR + ")");
        }
        st.finish();

        root.finish();
        return new MirrorConfig(mountPath, upstreams, timeouts, maxRequestBytes, new Auth(mode), tenants, rateLimit,
                qos, failover, proxy, cache, pii, audit, redis, admin, publicBaseUrl, routing, new State(stateDir));
    }

    private static Redis redis(ConfigNode r) {
        String uri = r.string("uri", "").trim();
        if (!uri.isEmpty() && !uri.matches("(?i)(redis|rediss|redis-sentinel|rediss-sentinel|redis-cluster|rediss-cluster)://.+")) {
            throw new ConfigException("redis.uri", "'" + uri.replaceAll("//[^@/]*@", "//***@") + "' is not a "
                    + "redis://, rediss://, redis-sentinel:// or redis-cluster:// URI");
        }
        String policy = r.string("failurePolicy", "open").trim().toLowerCase(Locale.ROOT);
        if (!policy.equals("open") && !policy.equals("closed")) {
            throw new ConfigException("redis.failurePolicy", "'" + policy + "' is not open or closed");
        }
        Duration timeout = r.duration("timeout", Redis.DEFAULT_TIMEOUT);
        if (timeout.isZero() || timeout.isNegative() || timeout.compareTo(Duration.ofSeconds(10)) > 0) {
            throw new ConfigException("redis.timeout", "must be between 1ms and 10s (requests wait this long at most)");
        }
        String prefix = r.string("keyPrefix", Redis.DEFAULT_KEY_PREFIX);
        if (prefix.contains("{") || prefix.contains("}")) {
            throw new ConfigException("redis.keyPrefix", "must not contain { or } (the mirror uses hash tags)");
        }
        Duration lease = r.duration("leaseTtl", Redis.DEFAULT_LEASE_TTL);
        if (lease.compareTo(Duration.ofSeconds(1)) < 0) {
            throw new ConfigException("redis.leaseTtl", "must be at least 1s");
        }
        Duration health = r.duration("healthInterval", Redis.DEFAULT_HEALTH_INTERVAL);
        if (health.compareTo(Duration.ofMillis(50)) < 0) {
            throw new ConfigException("redis.healthInterval", "must be at least 50ms");
        }
        r.finish();
        return new Redis(uri, policy.equals("open"), timeout, prefix, lease, health);
    }

    private static String publicBaseUrl(ConfigNode root) {
        String text = root.string("publicBaseUrl", "").trim();
        if (text.isEmpty()) {
            return "";
        }
        URI u;
        try {
            u = URI.create(text);
        } catch (IllegalArgumentException e) {
            throw new ConfigException("publicBaseUrl", "'" + text + "' is not a URL");
        }
        if (u.getScheme() == null || u.getHost() == null || !(u.getScheme().equals("http") || u.getScheme().equals("https"))
                || u.getQuery() != null || u.getFragment() != null) {
            throw new ConfigException("publicBaseUrl", "'" + text + "' must be an absolute http(s) URL without query, "
                    + "like https://ai.example.com/claude");
        }
        return text.endsWith("/") ? text.substring(0, text.length() - 1) : text;
    }

    /** A key in one of the accepted forms: {@code sha256:<64 hex>} or {@code plain:<text>}. */
    static void checkKey(String key, String k) {
        if (k.startsWith("sha256:")) {
            String hex = k.substring(7);
            if (!hex.matches("[0-9a-fA-F]{64}")) {
                throw new ConfigException(key, "sha256: must be followed by 64 hex digits");
            }
        } else if (k.startsWith("plain:")) {
            if (k.length() == 6) {
                throw new ConfigException(key, "plain: key is empty");
            }
        } else {
            throw new ConfigException(key, "a key must start with sha256: or plain:");
        }
    }

    private static Routing routing(ConfigNode r) {
        Routing d = Routing.DEFAULTS;
        ConfigNode b = r.child("breaker");
        int consecutive = (int) b.number("consecutiveFailures", d.consecutiveFailures(), 1);
        long rate = b.number("errorRatePercent", d.errorRatePercent(), 0);
        if (rate > 100) {
            throw new ConfigException(b.key("errorRatePercent"), rate + " is above 100");
        }
        int minRequests = (int) b.number("minRequests", d.minRequests(), 1);
        Duration window = positive(b, "window", d.window());
        Duration cooldown = positive(b, "cooldown", d.cooldown());
        Duration maxCooldown = b.duration("maxCooldown", d.maxCooldown());
        if (maxCooldown.compareTo(cooldown) < 0) {
            throw new ConfigException(b.key("maxCooldown"), "must not be shorter than routing.breaker.cooldown");
        }
        b.finish();
        ConfigNode p = r.child("probe");
        Duration probeInterval = p.duration("interval", d.probeInterval());
        Duration probeTimeout = positive(p, "timeout", d.probeTimeout());
        p.finish();
        ConfigNode s = r.child("sticky");
        boolean sticky = s.bool("enabled", d.sticky());
        Duration ttl = positive(s, "ttl", d.stickyTtl());
        int maxEntries = (int) s.number("maxEntries", d.stickyMaxEntries(), 1);
        s.finish();
        Duration decay = positive(r, "latencyDecay", d.latencyDecay());
        Duration maxPacingWait = r.duration("maxPacingWait", d.maxPacingWait());
        r.finish();
        return new Routing(consecutive, (int) rate, minRequests, window, cooldown, maxCooldown, probeInterval,
                probeTimeout, sticky, ttl, maxEntries, decay, maxPacingWait);
    }

    private static Duration positive(ConfigNode n, String name, Duration def) {
        Duration v = n.duration(name, def);
        if (v.isZero() || v.isNegative()) {
            throw new ConfigException(n.key(name), "must be positive");
        }
        return v;
    }

    private static String mountPath(ConfigNode root) {
        String m = root.string("mountPath", "").trim();
        if (m.equals("/")) {
            return "";
        }
        if (!m.isEmpty() && (!m.startsWith("/") || m.endsWith("/") || m.contains("*") || m.contains("?"))) {
            throw new ConfigException("mountPath", "'" + m + "' must be empty or like /claude (leading slash, no trailing slash)");
        }
        return m;
    }

    private static Upstream upstream(ConfigNode u, int index) {
        String name = u.string("name", index == 0 ? "primary" : "upstream" + index);
        String urlText = u.required("url");
        URI url;
        try {
            url = URI.create(urlText.trim());
        } catch (IllegalArgumentException e) {
            throw new ConfigException(u.key("url"), "'" + urlText + "' is not a URL");
        }
        if (url.getScheme() == null || url.getHost() == null
                || !(url.getScheme().equals("http") || url.getScheme().equals("https"))) {
            throw new ConfigException(u.key("url"), "'" + urlText + "' must be an absolute http(s) URL");
        }
        if (url.getPath() != null && url.getPath().replaceAll("/+$", "").endsWith("/v1")) {
            throw new ConfigException(u.key("url"), "give the base URL without /v1 (the mirror keeps the client's /v1 path)");
        }
        String apiKey = u.string("apiKey", "");
        int weight = (int) u.number("weight", 1, 0);
        boolean backup = u.bool("backup", false);
        Duration minInterval = u.duration("minInterval", Duration.ZERO);
        String region = u.string("region", "").trim();
        u.finish();
        return new Upstream(name, url, apiKey, weight, backup, minInterval, region);
    }

    private static Tenant tenant(ConfigNode tn, Set<String> upstreamNames) {
        String id = tn.required("id");
        List<String> keys = tn.strings("keys");
        for (int i = 0; i < keys.size(); i++) {
            checkKey(tn.key("keys") + "[" + i + "]", keys.get(i));
        }
        if (keys.isEmpty()) {
            throw new ConfigException(tn.key("keys"), "a tenant needs at least one key");
        }
        ConfigNode l = tn.child("limits");
        Limits limits = new Limits(l.number("requestsPerMinute", 0, 0), l.number("inputTokensPerMinute", 0, 0),
                l.number("outputTokensPerMinute", 0, 0), (int) l.number("maxConcurrent", 0, 0),
                l.number("tokensPerDay", 0, 0));
        l.finish();
        List<String> models = tn.strings("models");
        int priority = (int) tn.number("priority", 1, Integer.MIN_VALUE);
        String piiText = tn.string("pii", null);
        PiiMode pii = piiText == null ? null : PiiMode.parse(tn.key("pii"), piiText);
        Map<String, String> upstreamKeys = tn.stringMap("upstreamKeys");
        for (Map.Entry<String, String> e : upstreamKeys.entrySet()) {
            String key = tn.key("upstreamKeys") + "." + e.getKey();
            if (!upstreamNames.contains(e.getKey())) {
                throw new ConfigException(key, "names no upstream; upstreams are " + new java.util.TreeSet<>(upstreamNames));
            }
            if (e.getValue().isBlank()) {
                throw new ConfigException(key, "is empty (an unset ${ENV} variable?)");
            }
        }
        tn.finish();
        return new Tenant(id, keys, limits, models, priority, pii, upstreamKeys);
    }
}
