package io.claudemirror.config;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One mapping of the configuration tree, read key by key. Every key read is remembered, so {@link #finish()}
 * can reject any key nobody asked for: a typo must stop start-up, not be silently ignored.
 */
final class ConfigNode {
    private final String path;
    private final Map<String, Object> map;
    private final Map<String, String> env;
    private final Set<String> seen = new HashSet<>();

    ConfigNode(String path, Map<String, Object> map, Map<String, String> env) {
        this.path = path;
        this.map = map == null ? Collections.emptyMap() : map;
        this.env = env;
    }

    String key(String name) {
        return path.isEmpty() ? name : path + "." + name;
    }

    private Object raw(String name) {
        seen.add(name);
        Object v = map.get(name);
        if (v instanceof String s) {
            return Values.substitute(key(name), s, env);
        }
        return v;
    }

    String string(String name, String def) {
        Object v = raw(name);
        if (v == null) {
            return def;
        }
        if (v instanceof Map || v instanceof List) {
            throw new ConfigException(key(name), "expected a single value");
        }
        return String.valueOf(v);
    }

    String required(String name) {
        String v = string(name, null);
        if (v == null || v.isBlank()) {
            throw new ConfigException(key(name), "is required");
        }
        return v;
    }

    boolean bool(String name, boolean def) {
        String v = string(name, null);
        if (v == null) {
            return def;
        }
        if (v.equalsIgnoreCase("true")) {
            return true;
        }
        if (v.equalsIgnoreCase("false")) {
            return false;
        }
        throw new ConfigException(key(name), "'" + v + "' is not true or false");
    }

    long number(String name, long def, long min) {
        String v = string(name, null);
        if (v == null) {
            return def;
        }
        long n;
        try {
            n = Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            throw new ConfigException(key(name), "'" + v + "' is not a whole number");
        }
        if (n < min) {
            throw new ConfigException(key(name), n + " is below the minimum " + min);
        }
        return n;
    }

    Duration duration(String name, Duration def) {
        Object v = raw(name);
        return v == null ? def : Values.duration(key(name), v);
    }

    long bytes(String name, long def) {
        Object v = raw(name);
        if (v == null) {
            return def;
        }
        long n = Values.bytes(key(name), v);
        if (n <= 0) {
            throw new ConfigException(key(name), "must be positive");
        }
        return n;
    }

    /** A list of strings; a comma-separated string is accepted too (init-params and env values are flat). */
    List<String> strings(String name) {
        Object v = raw(name);
        List<String> out = new ArrayList<>();
        if (v == null) {
            return out;
        }
        if (v instanceof List<?> list) {
            for (int i = 0; i < list.size(); i++) {
                Object item = list.get(i);
                if (item == null || item instanceof Map || item instanceof List) {
                    throw new ConfigException(key(name) + "[" + i + "]", "expected a string");
                }
                out.add(Values.substitute(key(name) + "[" + i + "]", String.valueOf(item), env));
            }
            return out;
        }
        for (String part : String.valueOf(v).split(",")) {
            if (!part.isBlank()) {
                out.add(part.trim());
            }
        }
        return out;
    }

    /** A mapping of names to single values ({@code tenants[].upstreamKeys}); empty when absent. */
    Map<String, String> stringMap(String name) {
        Object v = raw(name);
        Map<String, String> out = new java.util.LinkedHashMap<>();
        if (v == null) {
            return out;
        }
        if (!(v instanceof Map<?, ?> m)) {
            throw new ConfigException(key(name), "expected a mapping of names to values");
        }
        for (Map.Entry<?, ?> e : m.entrySet()) {
            String k = key(name) + "." + e.getKey();
            Object item = e.getValue();
            if (item == null || item instanceof Map || item instanceof List) {
                throw new ConfigException(k, "expected a single value");
            }
            out.put(String.valueOf(e.getKey()), Values.substitute(k, String.valueOf(item), env));
        }
        return out;
    }

    ConfigNode child(String name) {
        Object v = raw(name);
        if (v != null && !(v instanceof Map)) {
            throw new ConfigException(key(name), "expected a mapping of keys");
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> m = (Map<String, Object>) v;
        return new ConfigNode(key(name), m, env);
    }

    List<ConfigNode> children(String name) {
        Object v = raw(name);
        List<ConfigNode> out = new ArrayList<>();
        if (v == null) {
            return out;
        }
        if (!(v instanceof List<?> list)) {
            throw new ConfigException(key(name), "expected a list");
        }
        for (int i = 0; i < list.size(); i++) {
            Object item = list.get(i);
            String p = key(name) + "[" + i + "]";
            if (!(item instanceof Map)) {
                throw new ConfigException(p, "expected a mapping of keys");
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> m = (Map<String, Object>) item;
            out.add(new ConfigNode(p, m, env));
        }
        return out;
    }

    /** Fails on the first key that was present but never read. */
    void finish() {
        for (String k : map.keySet()) {
            if (!seen.contains(k)) {
                throw new ConfigException(key(k), "unknown key");
            }
        }
    }
}
