package io.claudemirror.container;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * A short idle timeout while an HTTP/1 request body is arriving, the connector's own (long) one otherwise. The
 * mirror reads a body blocking, before any slot is taken, and checks {@code timeouts.bodyRead} each time bytes
 * arrive; a client that sends a few bytes and then nothing would hold the thread until the connector's idle
 * timeout, which a host sets long so that quiet streams and keep-alive connections survive. This handler lowers
 * the connection's idle timeout to {@code uploadTimeout} from the request's headers until its body has been read
 * (or the exchange ends), then restores it; Jetty fails a read that waits longer, and the mirror answers.
 * <pre>{@code
 * server.setHandler(new JettyUploadTimeout(webApp, config.timeouts().bodyRead()));
 * }</pre>
 * HTTP/2 and HTTP/3 streams share one connection, whose idle timeout is not one request's to change; there the
 * connector's {@code HttpConfiguration.setIdleTimeout} (the per-stream idle timeout) is the bound.
 */
public class JettyUploadTimeout extends Handler.Wrapper {
    private final long uploadTimeoutMillis;

    /** @param uploadTimeout longest silence while a body arrives; zero or negative turns the handler off */
    public JettyUploadTimeout(Handler handler, Duration uploadTimeout) {
        super(handler);
        this.uploadTimeoutMillis = uploadTimeout == null ? 0 : uploadTimeout.toMillis();
    }

    public long getUploadTimeoutMillis() {
        return uploadTimeoutMillis;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
        EndPoint endPoint = http1EndPoint(request);
        if (uploadTimeoutMillis <= 0 || endPoint == null || !hasBody(request)) {
            return super.handle(request, response, callback);
        }
        long connectorIdle = endPoint.getIdleTimeout();
        if (connectorIdle > 0 && connectorIdle <= uploadTimeoutMillis) {
            return super.handle(request, response, callback);
        }
        AtomicBoolean restored = new AtomicBoolean();
        Runnable restore = () -> {
            if (restored.compareAndSet(false, true)) {
                endPoint.setIdleTimeout(connectorIdle);
            }
        };
        endPoint.setIdleTimeout(uploadTimeoutMillis);
        Request reading = new Request.Wrapper(request) {
            @Override
            public Content.Chunk read() {
                Content.Chunk chunk = super.read();
                if (chunk != null && (chunk.isLast() || Content.Chunk.isFailure(chunk))) {
                    restore.run();
                }
                return chunk;
            }
        };
        try {
            boolean handled = super.handle(reading, response, Callback.from(restore, callback));
            if (!handled) {
                restore.run();
            }
            return handled;
        } catch (Exception | Error e) {
            restore.run();
            throw e;
        }
    }

    private static EndPoint http1EndPoint(Request request) {
        HttpVersion version = request.getConnectionMetaData().getHttpVersion();
        if (version != HttpVersion.HTTP_1_1 && version != HttpVersion.HTTP_1_0) {
            return null;
        }
        Connection connection = request.getConnectionMetaData().getConnection();
        return connection == null ? null : connection.getEndPoint();
    }

    private static boolean hasBody(Request request) {
        return request.getHeaders().getLongField(HttpHeader.CONTENT_LENGTH) > 0
                || request.getHeaders().contains(HttpHeader.TRANSFER_ENCODING);
    }
}
