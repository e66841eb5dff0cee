package io.claudemirror.demo;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * The demo's command line: {@code [--port N] [--config FILE]}, also as {@code --port=N} / {@code --config=FILE}.
 * The configuration file may instead come from the environment variable {@value #CONFIG_ENV}; the command line
 * wins. No file means the embedded default (fake upstream, demo tenant).
 *
 * @param port   the HTTP port, {@value #DEFAULT_PORT} unless given; 0 picks a free one
 * @param config the YAML file, or {@code null} for the embedded default
 */
public record DemoOptions(int port, Path config) {
    public static final int DEFAULT_PORT = 8080;
    public static final String CONFIG_ENV = "MIRROR_CONFIG";
    public static final String USAGE = "usage: java -jar mirror-jetty-demo.jar|mirror-tomcat-demo.jar [--port N] [--config FILE]"
            + " (or env " + CONFIG_ENV + "=FILE)";

    /** Parses {@code args}; an unknown option, a bad port or a missing file throws with a message for the user. */
    /** For a demo's {@code main}: the options from the command line and environment, or usage and exit 2. */
    public static DemoOptions fromCommandLine(String[] args) {
        try {
            return parse(args, System.getenv());
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.exit(2);
            throw e;
        }
    }

    public static DemoOptions parse(String[] args, Map<String, String> env) {
        int port = DEFAULT_PORT;
        String config = env.get(CONFIG_ENV);
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            String name = arg.contains("=") ? arg.substring(0, arg.indexOf('=')) : arg;
            String value;
            if (arg.contains("=")) {
                value = arg.substring(arg.indexOf('=') + 1);
            } else if (name.equals("--port") || name.equals("--config")) {
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException(name + " needs a value; " + USAGE);
                }
                value = args[++i];
            } else {
                throw new IllegalArgumentException("unknown argument '" + arg + "'; " + USAGE);
            }
            switch (name) {
                case "--port" -> port = port(value);
                case "--config" -> config = value;
                default -> throw new IllegalArgumentException("unknown argument '" + arg + "'; " + USAGE);
            }
        }
        if (config == null || config.isBlank()) {
            return new DemoOptions(port, null);
        }
        Path file = Path.of(config);
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("configuration file not found: " + file.toAbsolutePath());
        }
        return new DemoOptions(port, file);
    }

    private static int port(String value) {
        try {
            int p = Integer.parseInt(value.trim());
            if (p >= 0 && p <= 65535) {
                return p;
            }
        } catch (NumberFormatException e) {
            // falls through to the message below
        }
        throw new IllegalArgumentException("--port must be a number from 0 to 65535, not '" + value + "'");
    }
}
