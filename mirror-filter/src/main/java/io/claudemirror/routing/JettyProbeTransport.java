package io.claudemirror.routing;

import io.claudemirror.config.MirrorConfig.Upstream;
import io.claudemirror.routing.UpstreamProber.ProbeResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpMethod;

/**
 * Probes over the proxy's own Jetty {@link HttpClient}: {@code GET {upstream}/v1/models?limit=1} with the
 * upstream's key (when it has one; without, a 401 still proves the upstream alive). The body is discarded.
 */
public final class JettyProbeTransport implements UpstreamProber.ProbeTransport {
    /** The API version header every Anthropic request needs. */
    static final String ANTHROPIC_VERSION = "2023-06-01";

    private final HttpClient client;

    public JettyProbeTransport(HttpClient client) {
        this.client = client;
    }

    @Override
    public CompletableFuture<ProbeResponse> probe(Upstream upstream, Duration timeout) {
        CompletableFuture<ProbeResponse> done = new CompletableFuture<>();
        client.newRequest(upstream.base() + "/v1/models?limit=1")
                .method(HttpMethod.GET)
                .timeout(timeout.toMillis(), TimeUnit.MILLISECONDS)
                .headers(h -> {
                    h.put("anthropic-version", ANTHROPIC_VERSION);
                    if (upstream.apiKey() != null && !upstream.apiKey().isEmpty()) {
                        h.put("x-api-key", upstream.apiKey());
                    }
                })
                .send(result -> {
                    if (result.getResponse() != null && result.getResponse().getStatus() > 0
                            && result.getResponseFailure() == null) {
                        HttpFields fields = result.getResponse().getHeaders();
                        done.complete(new ProbeResponse(result.getResponse().getStatus(), fields::get));
                    } else {
                        done.completeExceptionally(result.getFailure());
                    }
                });
        return done;
    }
}
