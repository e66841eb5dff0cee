package io.claudemirror;

import io.claudemirror.auth.TenantDirectory;
import io.claudemirror.config.ConfigException;
import io.claudemirror.config.ConfigLoader;
import io.claudemirror.config.MirrorConfig;
import io.claudemirror.routing.UpstreamPool;
import jakarta.servlet.ServletContext;
import jakarta.servlet.ServletException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The state one mirror shares between its filters and servlets: the configuration, the tenant directory, the
 * upstream pool, and services the capabilities add ({@link #service}). One per ServletContext, found through
 * the context attribute {@link #ATTRIBUTE}; closed when the context is destroyed.
 */
public final class MirrorRuntime implements AutoCloseable {
    /** ServletContext attribute holding the runtime. */
    public static final String ATTRIBUTE = MirrorRuntime.class.getName();

    private static final Logger LOG = LoggerFactory.getLogger(MirrorRuntime.class);

    private final MirrorConfig config;
    private final TenantDirectory tenants;
    private final UpstreamPool upstreams;
    private final ConcurrentHashMap<Class<?>, Object> services = new ConcurrentHashMap<>();
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private final java.util.concurrent.atomic.AtomicInteger users = new java.util.concurrent.atomic.AtomicInteger();
    private volatile boolean componentOwned;

    public MirrorRuntime(MirrorConfig config) {
        this.config = config;
        this.tenants = new TenantDirectory(config.tenants());
        this.upstreams = new UpstreamPool(config.upstreams(), config.routing());
        LOG.info("Claude Mirror: {}", config.summary());
        if (config.redis().enabled()) {
            // Before any filter asks for a limiter, index or cache: the Redis-backed ones are found first.
            io.claudemirror.cluster.ClusterMode.install(this);
        }
        warnPlainKeys(config);
    }

    private static void warnPlainKeys(MirrorConfig config) {
        long plain = config.tenants().stream().flatMap(t -> t.keys().stream()).filter(k -> k.startsWith("plain:")).count()
                + config.admin().keys().stream().filter(k -> k.startsWith("plain:")).count();
        if (plain > 0) {
            LOG.warn("Claude Mirror: {} key(s) are configured as plain: text; anyone who reads the configuration can "
                    + "use them. Store keys as sha256: digests (java -cp mirror-filter.jar io.claudemirror.auth.KeyTool)",
                    plain);
        }
    }

    public MirrorConfig config() {
        return config;
    }

    public TenantDirectory tenants() {
        return tenants;
    }

    public UpstreamPool upstreams() {
        return upstreams;
    }

    /**
     * Returns the shared service of {@code type}, creating it once with {@code factory}. A service that is
     * {@link AutoCloseable} is closed with the runtime.
     */
    public <T> T service(Class<T> type, Supplier<? extends T> factory) {
        Object s = services.get(type);
        if (s == null) {
            // Not computeIfAbsent: a factory may itself ask for another service, which that method forbids.
            synchronized (services) {
                s = services.get(type);
                if (s == null) {
                    T created = factory.get();
                    if (created instanceof AutoCloseable c) {
                        synchronized (closeables) {
                            closeables.add(c);
                        }
                    }
                    services.put(type, created);
                    s = created;
                }
            }
        }
        return type.cast(s);
    }

    /** Returns the service of {@code type} if one was created, else null. */
    public <T> T serviceIfPresent(Class<T> type) {
        return type.cast(services.get(type));
    }

    /**
     * For a component declared in web.xml: the context's runtime, or, when there is none and {@code params} (the
     * component's init-params) configure one, a runtime built from them and registered on the context so the
     * other components share it. Such a runtime is counted: each component that acquired it calls
     * {@link #release()} from its {@code destroy()}, and the last one closes it, so an undeploy leaves no client
     * or writer thread behind. A runtime registered by the host (listener, {@code ClaudeMirror.install}) is the
     * host's to close and is not counted.
     */
    public static MirrorRuntime acquire(ServletContext context, Map<String, String> params) throws ServletException {
        synchronized (context) {
            Object existing = context.getAttribute(ATTRIBUTE);
            if (existing instanceof MirrorRuntime r) {
                r.retain();
                return r;
            }
            if (params.isEmpty()) {
                return from(context);
            }
            try {
                MirrorRuntime r = new MirrorRuntime(ConfigLoader.fromProperties(params, System.getenv()));
                r.componentOwned = true;
                r.retain();
                context.setAttribute(ATTRIBUTE, r);
                return r;
            } catch (ConfigException e) {
                throw new ServletException(e.getMessage(), e);
            }
        }
    }

    private void retain() {
        users.incrementAndGet();
    }

    /** A component that {@link #acquire acquired} this runtime is done with it. */
    public void release() {
        if (users.decrementAndGet() == 0 && componentOwned) {
            close();
        }
    }

    /** The runtime registered on {@code context}, or a ServletException telling how to register one. */
    public static MirrorRuntime from(ServletContext context) throws ServletException {
        Object r = context.getAttribute(ATTRIBUTE);
        if (r == null) {
            throw new ServletException("Claude Mirror is not configured in this context: register "
                    + "io.claudemirror.MirrorContextListener (web.xml) or call ClaudeMirror.install(...), "
                    + "or give the filter/servlet its own init-params (e.g. config=/path/mirror.yaml)");
        }
        return (MirrorRuntime) r;
    }

    @Override
    public void close() {
        List<AutoCloseable> list;
        synchronized (closeables) {
            list = new ArrayList<>(closeables);
            closeables.clear();
        }
        for (int i = list.size() - 1; i >= 0; i--) {
            try {
                list.get(i).close();
            } catch (Exception e) {
                LOG.warn("Claude Mirror: closing {} failed", list.get(i).getClass().getSimpleName(), e);
            }
        }
    }
}
