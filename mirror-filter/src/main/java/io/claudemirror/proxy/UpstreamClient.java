package io.claudemirror.proxy;

import io.claudemirror.config.MirrorConfig;
import jakarta.servlet.ServletContext;
import java.util.concurrent.Executor;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.http.HttpCookieStore;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * How the proxy's {@link HttpClient} is set up from the mirror's configuration rather than init-params: no cookies,
 * no redirects, no content decoding (bytes pass through as the upstream sent them), no protocol handlers (a 401
 * must reach the client, not be retried), the pool and timeouts of {@code proxy.*} and {@code timeouts.*}, heap
 * buffers. The transport ({@code proxy.http2}) is {@link UpstreamTransport}'s.
 */
final class UpstreamClient {
    private UpstreamClient() {
    }

    /** Before {@code start()}. */
    static void configure(HttpClient client, MirrorConfig config, ServletContext context) {
        client.setFollowRedirects(false);
        client.setHttpCookieStore(new HttpCookieStore.Empty());
        client.setExecutor(executor(config, context));
        client.setMaxConnectionsPerDestination(config.proxy().maxConnectionsPerUpstream());
        client.setMaxRequestsQueuedPerDestination(Math.max(1024, config.proxy().maxConnectionsPerUpstream() * 4));
        long connect = config.timeouts().connect().toMillis();
        if (connect > 0) {
            client.setConnectTimeout(connect);
        }
        long idle = config.timeouts().idle().toMillis();
        client.setIdleTimeout(idle > 0 ? idle : 0);
        client.setUserAgentField(null);
        // Heap buffers: upstream chunks then have an array the servlet output can write without a copy.
        client.setUseInputDirectByteBuffers(false);
        client.setUseOutputDirectByteBuffers(false);
        client.setRequestBufferSize(16 * 1024);
        client.setResponseBufferSize(16 * 1024);
    }

    /** After {@code start()}, which installs the defaults these remove. */
    static void afterStart(HttpClient client) {
        client.getContentDecoderFactories().clear();
        client.getProtocolHandlers().clear();
    }

    /**
     * The client's threads. On Jetty the server's own pool, when the context offers it (as the stock
     * {@code AsyncProxyServlet} does): an upstream response then continues on a thread of the pool that serves
     * the client, instead of a hand-off between two pools on every event, which the profile showed as a large share
     * of the proxy's CPU and allocation. Elsewhere (Tomcat), or with {@code -Dclaude-mirror.ownClientPool=true},
     * a pool of its own of {@code proxy.maxThreads}. When the server's pool hands blocking tasks to virtual threads
     * (Jetty's {@code QueuedThreadPool#setVirtualThreadsExecutor}) the client's reads follow it; the own pool stays
     * on platform threads on purpose: nothing on it blocks, so a virtual thread per read would buy nothing.
     */
    static Executor executor(MirrorConfig config, ServletContext context) {
        Object server = context.getAttribute("org.eclipse.jetty.server.Executor");
        if (server instanceof Executor executor && !Boolean.getBoolean("claude-mirror.ownClientPool")) {
            return executor;
        }
        QueuedThreadPool threads = new QueuedThreadPool(config.proxy().maxThreads());
        threads.setName("claude-mirror-client");
        threads.setDaemon(true);
        return threads;
    }
}
