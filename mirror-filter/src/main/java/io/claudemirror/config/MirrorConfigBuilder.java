package io.claudemirror.config;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Configuration in code, for hosts that prefer it to YAML. It records the same keys as the file and is
 * validated by the same reader, so a builder cannot produce a configuration a file could not:
 * <pre>{@code
 * MirrorConfig config = MirrorConfig.builder()
 *     .upstream("primary", "https://api.anthropic.com", System.getenv("ANTHROPIC_API_KEY"))
 *     .tenant("team-a", "plain:sk-mirror-demo")
 *     .set("timeouts.idle", "5m")
 *     .build();
 * }</pre>
 */
public final class MirrorConfigBuilder {
    private final Map<String, Object> tree = new LinkedHashMap<>();
    private final List<Object> upstreams = new ArrayList<>();
    private final List<Object> tenants = new ArrayList<>();

    MirrorConfigBuilder() {
    }

    public MirrorConfigBuilder upstream(String name, String url, String apiKey) {
        Map<String, Object> u = new LinkedHashMap<>();
        u.put("name", name);
        u.put("url", url);
        u.put("apiKey", apiKey == null ? "" : apiKey);
        upstreams.add(u);
        return this;
    }

    /** Adds a tenant with its keys ({@code sha256:<hex>} or {@code plain:<key>}). */
    public MirrorConfigBuilder tenant(String id, String... keys) {
        Map<String, Object> t = new LinkedHashMap<>();
        t.put("id", id);
        t.put("keys", List.of(keys));
        tenants.add(t);
        return this;
    }

    /** Sets any key by its dotted path, e.g. {@code set("tenants[0].limits.requestsPerMinute", 60)}. */
    public MirrorConfigBuilder set(String dottedKey, Object value) {
        pending.put(dottedKey, value);
        return this;
    }

    private final Map<String, Object> pending = new LinkedHashMap<>();

    public MirrorConfig build() {
        Map<String, Object> t = new LinkedHashMap<>(tree);
        if (!upstreams.isEmpty()) {
            t.put("upstreams", deepCopy(upstreams));
        }
        if (!tenants.isEmpty()) {
            t.put("tenants", deepCopy(tenants));
        }
        for (Map.Entry<String, Object> e : pending.entrySet()) {
            ConfigLoader.put(t, e.getKey(), e.getValue() instanceof Number || e.getValue() instanceof Boolean
                    ? String.valueOf(e.getValue()) : e.getValue());
        }
        return ConfigReader.read(t, System.getenv());
    }

    @SuppressWarnings("unchecked")
    private static List<Object> deepCopy(List<Object> list) {
        List<Object> out = new ArrayList<>();
        for (Object o : list) {
            out.add(new LinkedHashMap<>((Map<String, Object>) o));
        }
        return out;
    }
}
