package io.claudemirror.demo;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * The demo's command line: {@code [--host ADDR] [--port N] [--config FILE] [--virtual-threads]}, also as
 * {@code --host=ADDR}, {@code --port=N} / {@code --config=FILE}. The configuration file may instead come from the environment variable
 * {@value #CONFIG_ENV}; the command line wins. No file means the embedded default (fake upstream, demo tenant).
 * The demo listens on {@value #DEFAULT_HOST} only: a demo started with a real upstream key must not lend that key
 * to everyone who can reach the port; {@code --host 0.0.0.0} (or one interface's address) opens it on purpose.
 *
 * @param port   the HTTP port, {@value #DEFAULT_PORT} unless given; 0 picks a free one
 * @param config the YAML file, or {@code null} for the embedded default
 * @param host   the address to bind, {@value #DEFAULT_HOST} unless given
 * @param virtualThreads whether {@code --virtual-threads} asked for the container's request work on virtual threads
 *                       ({@link VirtualThreadsOption} decides whether this JVM can)
 */
public record DemoOptions(int port, Path config, String host, boolean virtualThreads) {
    public static final int DEFAULT_PORT = 8080;
    public static final String DEFAULT_HOST = "127.0.0.1";
    public static final String CONFIG_ENV = "MIRROR_CONFIG";
    public static final String USAGE = "usage: java -jar mirror-jetty-demo.jar|mirror-tomcat-demo.jar"
            + " [--host ADDR] [--port N] [--config FILE] (or env " + CONFIG_ENV + "=FILE) [--virtual-threads];"
            + " --host defaults to " + DEFAULT_HOST + " (this machine only), --host 0.0.0.0 listens on every interface;"
            + " --virtual-threads runs request work on virtual threads on Java 21+ (ignored, with a warning, before)";

    /** Options on the default host, {@value #DEFAULT_HOST}, on platform threads. */
    public DemoOptions(int port, Path config) {
        this(port, config, DEFAULT_HOST, false);
    }

    /** Options on platform threads. */
    public DemoOptions(int port, Path config, String host) {
        this(port, config, host, false);
    }

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

    /** Parses {@code args}; an unknown option, a bad port or host or a missing file throws with a message for the user. */
    public static DemoOptions parse(String[] args, Map<String, String> env) {
        int port = DEFAULT_PORT;
        String host = DEFAULT_HOST;
        String config = env.get(CONFIG_ENV);
        boolean virtualThreads = false;
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (arg.equals(VirtualThreadsOption.FLAG)) {
                virtualThreads = true;
                continue;
            }
            String name = arg.contains("=") ? arg.substring(0, arg.indexOf('=')) : arg;
            String value;
            if (arg.contains("=")) {
                value = arg.substring(arg.indexOf('=') + 1);
            } else if (name.equals("--port") || name.equals("--config") || name.equals("--host")) {
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
                case "--host" -> host = host(value);
                default -> throw new IllegalArgumentException("unknown argument '" + arg + "'; " + USAGE);
            }
        }
        if (config == null || config.isBlank()) {
            return new DemoOptions(port, null, host, virtualThreads);
        }
        Path file = Path.of(config);
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("configuration file not found: " + file.toAbsolutePath());
        }
        return new DemoOptions(port, file, host, virtualThreads);
    }

    /** A literal address (IPv4 or IPv6) or a name this machine resolves; checked here so a typo is not a bind error. */
    private static String host(String value) {
        String h = value.trim();
        if (h.startsWith("[") && h.endsWith("]")) {
            h = h.substring(1, h.length() - 1);
        }
        if (h.isEmpty()) {
            throw new IllegalArgumentException("--host needs an address, e.g. 127.0.0.1 or 0.0.0.0; " + USAGE);
        }
        try {
            InetAddress.getByName(h);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("--host '" + value + "' cannot be resolved to an address; " + USAGE);
        }
        return h;
    }

    /**
     * The base URL to print for clients on this machine: the bound address itself, or {@code localhost} when
     * bound to every interface.
     */
    public static String baseUrl(String host, int port) {
        String h;
        try {
            h = InetAddress.getByName(host).isAnyLocalAddress() ? "localhost" : host;
        } catch (UnknownHostException e) {
            h = host;
        }
        return "http://" + (h.contains(":") ? "[" + h + "]" : h) + ":" + port;
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
