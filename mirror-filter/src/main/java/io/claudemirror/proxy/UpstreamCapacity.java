package io.claudemirror.proxy;

import java.util.concurrent.atomic.AtomicIntegerArray;
import org.eclipse.jetty.client.Connection;
import org.eclipse.jetty.client.ConnectionPool;

/**
 * How many requests each upstream's connections carry at once before the next one queues: {@code
 * proxy.maxConnectionsPerUpstream} times the streams one connection takes — 1 on HTTP/1.1, on HTTP/2 what the server's
 * SETTINGS_MAX_CONCURRENT_STREAMS allows, learned from the connections answers arrive on. Only above it is a request's
 * wait for a connection armed and counted ({@link ConnectionWait}).
 */
final class UpstreamCapacity {
    private final int maxConnections;
    private final AtomicIntegerArray streamsPerConnection;

    UpstreamCapacity(int maxConnections, int upstreams) {
        this.maxConnections = maxConnections;
        this.streamsPerConnection = new AtomicIntegerArray(upstreams);
    }

    /** Requests {@code upstream}'s pool carries before one waits (connections while nothing is learned yet). */
    long requests(int upstream) {
        return (long) maxConnections * Math.max(1, streamsPerConnection.get(upstream));
    }

    /** Learns from the connection an answer of {@code upstream} arrived on. */
    void observe(int upstream, Connection connection) {
        int streams = connection instanceof ConnectionPool.MaxMultiplexable multiplexed
                ? multiplexed.getMaxMultiplex() : 1;
        if (streamsPerConnection.get(upstream) != streams) {
            streamsPerConnection.set(upstream, streams);
        }
    }
}
