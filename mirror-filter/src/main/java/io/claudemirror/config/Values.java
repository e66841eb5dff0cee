package io.claudemirror.config;

import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parsing of the scalar forms the configuration accepts: durations, byte sizes, {@code ${ENV}} references. */
public final class Values {
    private static final Pattern DURATION = Pattern.compile("(\\d+)\\s*(ms|s|m|h|d)");
    private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*(B|KB|MB|GB|KiB|MiB|GiB)?", Pattern.CASE_INSENSITIVE);
    private static final Pattern ENV = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?}");

    private Values() {
    }

    /** {@code 300ms}, {@code 5s}, {@code 10m}, {@code 1h}, {@code 7d}; a bare {@code 0} means zero. */
    public static Duration duration(String key, Object raw) {
        String text = String.valueOf(raw).trim();
        if (text.equals("0")) {
            return Duration.ZERO;
        }
        Matcher m = DURATION.matcher(text);
        if (!m.matches()) {
            throw new ConfigException(key, "'" + text + "' is not a duration (use e.g. 300ms, 5s, 10m, 1h, 7d)");
        }
        long n = Long.parseLong(m.group(1));
        switch (m.group(2)) {
            case "ms": return Duration.ofMillis(n);
            case "s": return Duration.ofSeconds(n);
            case "m": return Duration.ofMinutes(n);
            case "h": return Duration.ofHours(n);
            default: return Duration.ofDays(n);
        }
    }

    /** {@code 32MB}, {@code 512KB}, {@code 1GB} (binary multiples) or a plain number of bytes. */
    public static long bytes(String key, Object raw) {
        String text = String.valueOf(raw).trim();
        Matcher m = SIZE.matcher(text);
        if (!m.matches()) {
            throw new ConfigException(key, "'" + text + "' is not a size (use e.g. 512KB, 32MB, 1GB)");
        }
        long n = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "B" : m.group(2).toUpperCase(Locale.ROOT).replace("I", "");
        switch (unit) {
            case "KB": return n * 1024;
            case "MB": return n * 1024 * 1024;
            case "GB": return n * 1024 * 1024 * 1024;
            default: return n;
        }
    }

    /**
     * Replaces {@code ${NAME}} (or {@code ${NAME:-default}}) with the environment's value. A reference to an
     * unset variable without a default is an error naming both the key and the variable.
     */
    public static String substitute(String key, String text, Map<String, String> env) {
        if (text.indexOf("${") < 0) {
            return text;
        }
        Matcher m = ENV.matcher(text);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String value = env.get(m.group(1));
            if (value == null) {
                value = m.group(2);
            }
            if (value == null) {
                throw new ConfigException(key, "environment variable " + m.group(1) + " is not set");
            }
            m.appendReplacement(out, Matcher.quoteReplacement(value));
        }
        m.appendTail(out);
        return out.toString();
    }
}
