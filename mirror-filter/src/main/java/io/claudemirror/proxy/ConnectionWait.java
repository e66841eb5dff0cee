package io.claudemirror.proxy;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.util.thread.Scheduler;

/**
 * One request's wait for a pooled upstream connection, armed only when every connection of its upstream is
 * already in use (so the common path pays nothing). It is counted while it waits; it ends when the client's
 * connection pool hands the request a connection ({@code onBegin}), when the attempt completes otherwise, or at
 * the deadline, which aborts the queued request with {@link ConnectionWaitTimeoutException}.
 */
final class ConnectionWait implements Request.BeginListener, Runnable {
    private final ConnectionWaitMetrics metrics;
    private final Request request;
    private final long millis;
    private final AtomicBoolean waiting = new AtomicBoolean(true);
    private volatile Scheduler.Task deadline;

    private ConnectionWait(ConnectionWaitMetrics metrics, Request request, long millis) {
        this.metrics = metrics;
        this.request = request;
        this.millis = millis;
    }

    /** Starts counting the wait of {@code request} and, when {@code millis} > 0, bounds it. */
    static ConnectionWait arm(ConnectionWaitMetrics metrics, Request request, long millis, Scheduler scheduler) {
        ConnectionWait wait = new ConnectionWait(metrics, request, millis);
        metrics.started();
        request.onRequestBegin(wait);
        if (millis > 0) {
            wait.deadline = scheduler.schedule(wait, millis, TimeUnit.MILLISECONDS);
        }
        return wait;
    }

    /** The request got a connection and is being sent. */
    @Override
    public void onBegin(Request request) {
        end();
    }

    /** The deadline: still queued, so give up with the 529 cause. */
    @Override
    public void run() {
        if (waiting.compareAndSet(true, false)) {
            metrics.ended();
            metrics.timedOut();
            request.abort(new ConnectionWaitTimeoutException(millis));
        }
    }

    /** Stops counting (idempotent): the request began, or the attempt ended while it waited. */
    void end() {
        if (waiting.compareAndSet(true, false)) {
            metrics.ended();
            Scheduler.Task task = deadline;
            if (task != null) {
                task.cancel();
            }
        }
    }
}
