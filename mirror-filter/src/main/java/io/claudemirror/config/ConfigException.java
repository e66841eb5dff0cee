package io.claudemirror.config;

/**
 * A configuration problem found at start-up. The message always names the offending key
 * (for example {@code upstreams[0].url}), so an operator can fix the file without reading code.
 */
public final class ConfigException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final String key;

    public ConfigException(String key, String problem) {
        super("claude-mirror config: " + key + ": " + problem);
        this.key = key;
    }

    public ConfigException(String key, String problem, Throwable cause) {
        super("claude-mirror config: " + key + ": " + problem, cause);
        this.key = key;
    }

    /** The dotted path of the key at fault, e.g. {@code tenants[1].limits.requestsPerMinute}. */
    public String key() {
        return key;
    }
}
