package io.claudemirror.config;

import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/** Adapters from the outside forms of configuration (YAML, flat key/value pairs) onto {@link ConfigReader}. */
public final class ConfigLoader {
    // Names are the YAML keys; map keys (upstreamKeys names an upstream) may also hold digits, "-" and "_".
    private static final Pattern SEGMENT = Pattern.compile("([A-Za-z0-9_-]+)(?:\\[(\\d+)])?");

    private ConfigLoader() {
    }

    public static MirrorConfig fromYaml(Path file) {
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            return fromYaml(r, System.getenv());
        } catch (IOException e) {
            throw new ConfigException("(file)", "cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    public static MirrorConfig fromYaml(String yaml) {
        return fromYaml(new StringReader(yaml), System.getenv());
    }

    public static MirrorConfig fromYaml(Reader yaml, Map<String, String> env) {
        return ConfigReader.read(parseYaml(yaml), env);
    }

    static Map<String, Object> parseYaml(Reader yaml) {
        LoaderOptions options = new LoaderOptions();
        options.setAllowDuplicateKeys(false);
        Object doc;
        try {
            // SafeConstructor: a config file must never instantiate arbitrary classes.
            doc = new Yaml(new SafeConstructor(options)).load(yaml);
        } catch (RuntimeException e) {
            throw new ConfigException("(yaml)", "not valid YAML: " + e.getMessage(), e);
        }
        if (doc == null) {
            return new LinkedHashMap<>();
        }
        if (!(doc instanceof Map)) {
            throw new ConfigException("(yaml)", "the document must be a mapping of keys");
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> m = (Map<String, Object>) doc;
        return m;
    }

    /**
     * Flat keys as servlet init-params or Spring properties give them: {@code timeouts.idle=5m},
     * {@code upstreams[0].url=https://…}, {@code tenants[0].keys=plain:a,plain:b}. A key {@code config} names a
     * YAML file that is read first; the flat keys then override it.
     */
    public static MirrorConfig fromProperties(Map<String, String> flat, Map<String, String> env) {
        Map<String, Object> tree = new LinkedHashMap<>();
        String file = flat.get("config");
        if (file != null && !file.isBlank()) {
            try (Reader r = Files.newBufferedReader(Path.of(Values.substitute("config", file, env)), StandardCharsets.UTF_8)) {
                tree = parseYaml(r);
            } catch (IOException e) {
                throw new ConfigException("config", "cannot read " + file + ": " + e.getMessage(), e);
            }
        }
        for (Map.Entry<String, String> e : flat.entrySet()) {
            if (!e.getKey().equals("config")) {
                put(tree, e.getKey(), e.getValue());
            }
        }
        return ConfigReader.read(tree, env);
    }

    @SuppressWarnings("unchecked")
    static void put(Map<String, Object> tree, String dotted, Object value) {
        String[] parts = dotted.split("\\.");
        Object node = tree;
        for (int i = 0; i < parts.length; i++) {
            Matcher m = SEGMENT.matcher(parts[i]);
            if (!m.matches()) {
                throw new ConfigException(dotted, "not a valid key");
            }
            boolean last = i == parts.length - 1;
            Map<String, Object> map = (Map<String, Object>) node;
            String name = m.group(1);
            if (m.group(2) == null) {
                if (last) {
                    map.put(name, value);
                } else {
                    Object next = map.get(name);
                    if (!(next instanceof Map)) {
                        next = new LinkedHashMap<String, Object>();
                        map.put(name, next);
                    }
                    node = next;
                }
            } else {
                int index = Integer.parseInt(m.group(2));
                Object listObj = map.get(name);
                if (!(listObj instanceof List)) {
                    listObj = new ArrayList<Object>();
                    map.put(name, listObj);
                }
                List<Object> list = (List<Object>) listObj;
                while (list.size() <= index) {
                    list.add(new LinkedHashMap<String, Object>());
                }
                if (last) {
                    list.set(index, value);
                } else {
                    node = list.get(index);
                }
            }
        }
    }
}
