package io.claudemirror.ownership;

import io.claudemirror.MirrorFilter;
import io.claudemirror.MirrorRuntime;
import io.claudemirror.config.MirrorConfig;
import io.claudemirror.config.MirrorConfig.AuthMode;
import io.claudemirror.config.MirrorConfig.Tenant;
import io.claudemirror.errors.ErrorResponses;
import io.claudemirror.exchange.ApiRequest;
import io.claudemirror.exchange.Endpoint;
import io.claudemirror.exchange.Exchange;
import io.claudemirror.exchange.RequestFacts;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tenant isolation for files and message batches when tenants share an upstream credential (mirror-scoped mode;
 * see docs/tenants.md). Registered right after the auth filter. For a tenant that does not bring its own
 * credential for every upstream ({@code tenants[].upstreamKeys}), and before anything goes upstream:
 * <ul>
 *   <li>a request whose path names a file or batch id (any method: get, content, delete, cancel, results, or a
 *       method the API does not have) is answered 404 {@code not_found_error} unless the tenant owns the id;</li>
 *   <li>a JSON body (messages, count_tokens, batch creation, any other) may refer only to the tenant's own files
 *       (every {@code "file_id"} member at any depth), else 404; a body the mirror cannot read as JSON is
 *       refused with 400, since it could hide a reference;</li>
 *   <li>list pages show only the tenant's own items ({@link ListPageFilter}); a cursor ({@code after_id},
 *       {@code before_id}, an id-shaped {@code page}) must be one of the tenant's ids;</li>
 *   <li>a successful upload or batch creation records the tenant as owner before the client sees the id
 *       ({@link CreationRecorder}); a successful delete removes the record.</li>
 * </ul>
 * An id without a record belongs to nobody: fail closed. {@code auth.mode: passthrough} is not touched (each
 * client uses its own Anthropic workspace), nor is a tenant whose own keys cover every upstream.
 */
public class OwnershipFilter extends MirrorFilter {
    private static final Logger LOG = LoggerFactory.getLogger(OwnershipFilter.class);
    /** Longest id echoed in a 404 message. */
    private static final int MAX_ECHO = 128;

    private OwnershipIndex index;
    private MirrorConfig config;
    private Clock clock = Clock.systemUTC();
    private boolean active;

    public OwnershipFilter() {
    }

    public OwnershipFilter(MirrorRuntime runtime) {
        super(runtime);
    }

    /** With a host-built index (e.g. one on a shared store for a cluster). */
    public OwnershipFilter(MirrorRuntime runtime, OwnershipIndex index) {
        super(runtime);
        this.index = index;
    }

    @Override
    protected void init(MirrorRuntime runtime) throws ServletException {
        config = runtime.config();
        active = config.auth().mode() == AuthMode.TENANTS
                && config.tenants().stream().anyMatch(t -> !t.upstreamScoped(config.upstreams()));
        if (!active) {
            LOG.info("Claude Mirror ownership: off ({})", config.auth().mode() == AuthMode.PASSTHROUGH
                    ? "passthrough: every client uses its own workspace" : "every tenant has its own upstream keys");
            return;
        }
        OwnershipIndex given = index;
        try {
            index = runtime.service(OwnershipIndex.class,
                    () -> given != null ? given : MvStoreOwnershipIndex.open(Path.of(config.state().dir()), clock));
        } catch (IllegalStateException e) {
            throw new ServletException("state.dir: " + e.getMessage(), e);
        }
    }

    /** The index this filter enforces; null when ownership is off. */
    public OwnershipIndex index() {
        return index;
    }

    @Override
    protected void filter(Exchange exchange, HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws IOException, ServletException {
        Tenant tenant = exchange.tenant();
        if (!active || tenant != null && tenant.upstreamScoped(config.upstreams())) {
            chain.doFilter(request, response);
            return;
        }
        ApiRequest api = exchange.api();
        // No tenant here means the auth filter is missing in front: such a caller owns nothing.
        String owner = tenant == null ? null : tenant.id();
        String kind = api.resourceKind();
        String id = api.resourceId();
        if (id != null) {
            exchange.resourceId(id);
            boolean mine;
            try {
                mine = owns(owner, kind, id);
            } catch (IllegalStateException e) {
                // The index cannot answer (cluster mode, Redis down): fail closed, but say why rather than 404.
                LOG.warn("{} ownership of {} {} cannot be checked: {}", exchange.requestId(), kind, id, e.getMessage());
                io.claudemirror.errors.ErrorResponses.write(response, exchange, 503,
                        io.claudemirror.errors.ErrorResponses.API_ERROR,
                        "ownership of this resource cannot be checked right now; retry shortly", 1);
                return;
            }
            if (!mine) {
                notFound(response, exchange, kind, id);
                return;
            }
            if ("DELETE".equals(api.method())) {
                exchange.transformer(new RemoveOnSuccess(index, kind, id));
            }
        }
        Endpoint endpoint = api.endpoint();
        if (endpoint == Endpoint.FILE_LIST || endpoint == Endpoint.BATCH_LIST) {
            String listKind = endpoint == Endpoint.FILE_LIST ? ApiRequest.FILE : ApiRequest.BATCH;
            String cursor = foreignCursor(api.query(), owner, listKind);
            if (cursor != null) {
                notFound(response, exchange, listKind, cursor);
                return;
            }
            exchange.transformer(new ListPageFilter(index, listKind, owner, exchange.requestId()));
        }
        if (!referencesOwnFiles(exchange, request, response, owner)) {
            return;
        }
        if (owner != null && (endpoint == Endpoint.FILE_UPLOAD || endpoint == Endpoint.BATCH_CREATE)) {
            String created = endpoint == Endpoint.FILE_UPLOAD ? ApiRequest.FILE : ApiRequest.BATCH;
            exchange.transformer(new CreationRecorder(index, created, owner, exchange, clock));
        }
        chain.doFilter(request, response);
    }

    private boolean owns(String tenant, String kind, String id) {
        return tenant != null && tenant.equals(index.owner(kind, id));
    }

    /**
     * Checks every file the body refers to; answers and returns false when one is not the tenant's. Multipart
     * bodies (uploads) carry content, not references, and are not parsed.
     */
    private boolean referencesOwnFiles(Exchange exchange, HttpServletRequest request, HttpServletResponse response,
                                       String tenant) throws IOException {
        String contentType = request.getContentType();
        if (contentType != null && contentType.regionMatches(true, 0, "multipart/", 0, 10)) {
            return true;
        }
        if (exchange.bodyLength() <= 0) {
            return true;
        }
        RequestFacts facts = exchange.facts(); // the front door's one reading of the decoded body
        if (!facts.valid()) {
            // Fail closed: a body the mirror cannot read could refer to any file.
            ErrorResponses.write(response, exchange, 400, ErrorResponses.INVALID_REQUEST, facts.error(), 0);
            return false;
        }
        for (String file : facts.fileIds()) {
            if (!owns(tenant, ApiRequest.FILE, file)) {
                notFound(response, exchange, ApiRequest.FILE, file);
                return false;
            }
        }
        return true;
    }

    /** The first list cursor in {@code query} that names an id the tenant does not own, or null. */
    private String foreignCursor(String query, String tenant, String kind) {
        if (query == null) {
            return null;
        }
        for (String pair : query.split("&")) {
            int eq = pair.indexOf('=');
            String name = decode(eq < 0 ? pair : pair.substring(0, eq));
            String value = eq < 0 ? "" : decode(pair.substring(eq + 1));
            boolean cursor = name.equals("after_id") || name.equals("before_id")
                    // The Files API's page token is opaque on the real API; an id-shaped one is checked.
                    || name.equals("page") && (value.startsWith("file_") || value.startsWith("msgbatch_"));
            if (cursor && !value.isEmpty() && !owns(tenant, kind, value)) {
                return value;
            }
        }
        return null;
    }

    private static String decode(String s) {
        try {
            return URLDecoder.decode(s, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return s;
        }
    }

    /** The answer Anthropic gives for an id it does not know, so "not yours" and "does not exist" look alike. */
    static void notFound(HttpServletResponse response, Exchange exchange, String kind, String id) throws IOException {
        String shown = id.length() > MAX_ECHO ? id.substring(0, MAX_ECHO) : id;
        String message = ApiRequest.BATCH.equals(kind) ? "message_batch: " + shown + " not found"
                : "File not found: " + shown;
        if (LOG.isDebugEnabled()) {
            LOG.debug("{} {} {} is not tenant {}'s: 404", exchange.requestId(), kind, shown, exchange.tenantId());
        }
        ErrorResponses.write(response, exchange, 404, ErrorResponses.NOT_FOUND, message, 0);
    }

    /**
     * Drops the record once the upstream confirmed the delete, before the confirmation reaches the client (the
     * answer is held until then), so a client that saw it deleted never finds the record still there.
     */
    private static final class RemoveOnSuccess extends HeldBody {
        private final OwnershipIndex index;
        private final String kind;
        private final String id;

        RemoveOnSuccess(OwnershipIndex index, String kind, String id) {
            super(64 * 1024);
            this.index = index;
            this.kind = kind;
            this.id = id;
        }

        @Override
        byte[] rewrite(byte[] body, int length) {
            index.remove(kind, id);
            return java.util.Arrays.copyOf(body, length);
        }

        @Override
        byte[] overflow() {
            // Not a delete confirmation the mirror knows: keep the record (only the owner can use it anyway).
            return ("{\"type\":\"error\",\"error\":{\"type\":\"api_error\",\"message\":\"the mirror could not "
                    + "read the upstream's answer\"}}").getBytes(java.nio.charset.StandardCharsets.UTF_8);
        }
    }
}
