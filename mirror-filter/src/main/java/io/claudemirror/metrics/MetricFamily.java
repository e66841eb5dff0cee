package io.claudemirror.metrics;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A metric of the mirror declared once, beside the code that registers it: its Dropwizard name (under
 * {@value MirrorMetrics#PREFIX}), its Prometheus name, its label when it is a family of several Dropwizard
 * metrics ({@code claude.mirror.errors.<type>} → {@code claude_mirror_errors{type="…"}}), and its HELP text.
 * Declarations are {@code static final} fields of the registering classes, so a family is known before any of
 * its metrics can be in a registry; {@link DropwizardCollector} reads them, never a second table.
 */
public final class MetricFamily {
    private static final Map<String, MetricFamily> SINGLE = new ConcurrentHashMap<>();
    private static final Map<String, MetricFamily> LABELLED = new ConcurrentHashMap<>();

    private final String name;
    private final String prometheusName;
    private final String label;
    private final String help;
    private volatile String presentWhen;

    private MetricFamily(String name, String prometheusName, String label, String help) {
        this.name = MirrorMetrics.PREFIX + "." + name;
        this.prometheusName = prometheusName != null ? prometheusName : sanitize(this.name);
        this.label = label;
        this.help = help;
    }

    /**
     * Marks a family registered only under a configuration ({@code condition}, e.g. {@code "redis.uri"}): a
     * mirror without it does not expose the family, and should not (a {@code redis.up 0} on a host without
     * Redis would page someone). Returns this family.
     */
    public MetricFamily presentWhen(String condition) {
        this.presentWhen = condition;
        return this;
    }

    /** The configuration this family needs to be exposed, or null when every mirror exposes it. */
    public String presentWhen() {
        return presentWhen;
    }

    /** One metric, {@code claude.mirror.<name>}. */
    public static MetricFamily single(String name, String help) {
        MetricFamily f = new MetricFamily(name, null, null, help);
        SINGLE.put(f.name, f);
        return f;
    }

    /** Metrics {@code claude.mirror.<name>.<value>}, exposed as one metric with the label {@code label=value}. */
    public static MetricFamily labelled(String name, String label, String help) {
        return labelled(name, null, label, help);
    }

    /** As {@link #labelled(String, String, String)} with an explicit Prometheus name (when a single metric has the default). */
    public static MetricFamily labelled(String name, String prometheusName, String label, String help) {
        MetricFamily f = new MetricFamily(name, prometheusName, label, help);
        LABELLED.put(f.name, f);
        return f;
    }

    /** The declared family a registered Dropwizard name belongs to, or null. */
    public static MetricFamily of(String dropwizardName) {
        MetricFamily f = SINGLE.get(dropwizardName);
        if (f != null) {
            return f;
        }
        int dot = dropwizardName.lastIndexOf('.');
        return dot < 0 ? null : LABELLED.get(dropwizardName.substring(0, dot));
    }

    /** The classes that declare families; {@link #declared()} initializes them, so none is missing. */
    private static final List<Class<?>> DECLARING = List.of(MirrorMetrics.class,
            io.claudemirror.ratelimit.RateLimitMetrics.class, io.claudemirror.audit.AuditStats.class,
            io.claudemirror.cluster.ClusterMetrics.class,
            io.claudemirror.proxy.ConnectionWaitMetrics.class);

    /**
     * Initializes the declaring classes. Needed only where a registry may hold the mirror's metrics without this
     * class loader having created them (a test registry, a registry filled by another deployment).
     */
    public static void loadDeclarations() {
        for (Class<?> c : DECLARING) {
            try {
                Class.forName(c.getName(), true, c.getClassLoader());
            } catch (ClassNotFoundException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    /**
     * A valid Prometheus metric name in the usual snake case: dots and other characters outside
     * {@code [a-zA-Z0-9_:]} become underscores, {@code camelCase} becomes {@code camel_case}, and a suffix the
     * exposition reserves ({@code _total}, {@code _created}, {@code _bucket}, {@code _info}) is dropped. Written
     * here, without the Prometheus client, because the metrics are recorded without that optional dependency.
     */
    public static String sanitize(String dropwizardName) {
        StringBuilder sb = new StringBuilder(dropwizardName.length() + 8);
        char prev = 0;
        for (int i = 0; i < dropwizardName.length(); i++) {
            char c = dropwizardName.charAt(i);
            boolean ok = c < 128 && (Character.isLetterOrDigit(c) || c == '_' || c == ':');
            if (ok && Character.isUpperCase(c) && (Character.isLowerCase(prev) || Character.isDigit(prev))) {
                sb.append('_');
            }
            sb.append(ok ? Character.toLowerCase(c) : '_');
            prev = c;
        }
        if (sb.length() == 0 || Character.isDigit(sb.charAt(0))) {
            sb.insert(0, '_');
        }
        String name = sb.toString();
        for (boolean cut = true; cut; ) {
            cut = false;
            for (String suffix : new String[] {"_total", "_created", "_bucket", "_info"}) {
                if (name.endsWith(suffix) && name.length() > suffix.length()) {
                    name = name.substring(0, name.length() - suffix.length());
                    cut = true;
                }
            }
        }
        return name;
    }

    /** Every family declared (after {@link #loadDeclarations()}, all of them). */
    public static Collection<MetricFamily> declared() {
        loadDeclarations();
        List<MetricFamily> all = new ArrayList<>(SINGLE.values());
        all.addAll(LABELLED.values());
        return all;
    }

    /** The Dropwizard name relative to the prefix: what {@code MetricSet}s under the prefix use. */
    public String relativeName() {
        return name.substring(MirrorMetrics.PREFIX.length() + 1);
    }

    /** The relative Dropwizard name of the member {@code value} of a labelled family. */
    public String member(String value) {
        return relativeName() + "." + value;
    }

    /** The full Dropwizard name ({@code claude.mirror.…}). */
    public String dropwizardName() {
        return name;
    }

    /** The Prometheus name, without the {@code _total} a counter gets in the exposition. */
    public String prometheusName() {
        return prometheusName;
    }

    /** The label name, or null for a single metric. */
    public String label() {
        return label;
    }

    public String help() {
        return help;
    }

    /** The label value of a registered member, or null for a single metric. */
    String labelValue(String dropwizardName) {
        return label == null ? null : dropwizardName.substring(name.length() + 1);
    }

    @Override
    public String toString() {
        return name;
    }
}
