package io.claudemirror.proxy;

import io.claudemirror.config.MirrorConfig.Http2;
import org.eclipse.jetty.client.HttpClientTransport;
import org.eclipse.jetty.client.Origin;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.client.transport.HttpClientConnectionFactory;
import org.eclipse.jetty.client.transport.HttpClientTransportDynamic;
import org.eclipse.jetty.client.transport.HttpClientTransportOverHTTP;
import org.eclipse.jetty.http.HttpScheme;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.http2.client.HTTP2Client;
import org.eclipse.jetty.http2.client.transport.ClientConnectionFactoryOverHTTP2;
import org.eclipse.jetty.io.ClientConnectionFactory;
import org.eclipse.jetty.io.ClientConnector;

/**
 * The proxy client's transport for {@code proxy.http2}. {@code auto}: this class — an https upstream is offered h2
 * then http/1.1 through ALPN (HTTP/1.1 also when the server selects nothing), a cleartext one gets HTTP/1.1, since
 * h2c with prior knowledge fails on a server that does not speak it. {@code on}: h2 only (ALPN on https, prior
 * knowledge on http). {@code off}: HTTP/1.1 only, as Jetty's proxy servlet does by default.
 *
 * <p>Where HTTP/2 is possible the pool is Jetty's multiplexing one, at most {@code proxy.maxConnectionsPerUpstream}
 * connections per upstream; an HTTP/2 connection carries as many concurrent streams as the server's
 * SETTINGS_MAX_CONCURRENT_STREAMS allows, an HTTP/1.1 connection one exchange at a time. Where it is not ({@code off},
 * or {@code auto} with cleartext upstreams only), Jetty's plain HTTP/1.1 transport and duplex pool, same limit.
 */
final class UpstreamTransport extends HttpClientTransportDynamic {
    /**
     * Receive window of one stream: 4 MiB, so one stream may run at 4 MiB per round trip — about 40 Mbit/s over an
     * 800 ms link, far above a Claude stream (well under 1 Mbit/s) and enough for a file or batch-results download.
     * Bytes inside the window may arrive before the client demanded them, so this also bounds what one stream with
     * a stalled client can hold in memory.
     */
    static final int STREAM_RECEIVE_WINDOW = 4 << 20;
    /** Receive window of a whole connection: 32 MiB, about 320 Mbit/s shared by its streams over an 800 ms link. */
    static final int SESSION_RECEIVE_WINDOW = 32 << 20;

    private UpstreamTransport(ClientConnector connector, ClientConnectionFactory.Info... protocols) {
        super(connector, protocols);
    }

    /**
     * @param anySecure whether any upstream is an https one: with {@code auto} and none, no request can be
     *                  HTTP/2, and Jetty's plain HTTP/1.1 transport serves (its per-request origin is cheaper
     *                  than the dynamic transport's protocol selection, and its pool is the duplex one)
     */
    static HttpClientTransport create(ClientConnector connector, Http2 mode, boolean anySecure) {
        if (mode == Http2.OFF || mode == Http2.AUTO && !anySecure) {
            return new HttpClientTransportOverHTTP(connector);
        }
        HTTP2Client http2 = new HTTP2Client(connector);
        http2.setInitialStreamRecvWindow(STREAM_RECEIVE_WINDOW);
        http2.setInitialSessionRecvWindow(SESSION_RECEIVE_WINDOW);
        ClientConnectionFactory.Info h2 = new ClientConnectionFactoryOverHTTP2.HTTP2(http2);
        if (mode == Http2.ON) {
            return new HttpClientTransportDynamic(connector, h2);
        }
        // h2 first: it is the order offered in ALPN, and the server's choice among them decides.
        return new UpstreamTransport(connector, h2, HttpClientConnectionFactory.HTTP11);
    }

    /** Every request through this client (proxied or a probe) to a cleartext upstream is an HTTP/1.1 one. */
    @Override
    public Origin newOrigin(Request request) {
        if (!HttpScheme.isSecure(request.getScheme())) {
            request.version(HttpVersion.HTTP_1_1);
        }
        return super.newOrigin(request);
    }
}
