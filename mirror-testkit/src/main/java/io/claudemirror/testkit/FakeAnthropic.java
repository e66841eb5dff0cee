package io.claudemirror.testkit;

import java.security.KeyStore;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.PreEncodedHttpField;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * A fake of the Anthropic Claude API over real HTTP on loopback, for tests, benchmarks and demos: HTTP/1.1 by
 * default, or h2c beside it, or TLS with ALPN ({@link Protocols}).
 *
 * <pre>{@code
 * try (FakeAnthropic fake = FakeAnthropic.start()) {
 *     // point the client under test at fake.baseUrl() (no /v1; the SDKs add it)
 *     fake.enqueue(Fault.status(529, "overloaded_error", "Overloaded"));
 *     ...
 *     assertThat(fake.journal().last().header("x-api-key")).isEqualTo("sk-test");
 * }
 * }</pre>
 *
 * <h2>What it answers</h2>
 * <ul>
 *   <li>{@code POST /v1/messages} (any query): the reply text echoes the last {@code user} message (string content,
 *       or its text blocks and tool_result texts joined) unless {@link #responseText} is set. With {@code tools}
 *       (and {@code tool_choice} not {@code none}) the reply is a {@code tool_use} of the first tool with input
 *       {@code {"text": <reply>}}; with {@code thinking} {@code enabled}/{@code adaptive} a thinking block comes first.
 *       {@code "stream": true} gives SSE with every event flushed on its own, else a JSON {@code Message}.</li>
 *   <li>{@code POST /v1/messages/count_tokens}, {@code GET /v1/models[/{id}]}, message batches (ended at once,
 *       absolute {@code results_url}, JSONL results), files (multipart upload, list, metadata, content, delete),
 *       {@code HEAD /api/hello}. Anything else is a 404 with the real error envelope.</li>
 *   <li>Every {@code /v1/*} request needs an {@code anthropic-version} header (any value), else 400.</li>
 *   <li>Every response carries {@code request-id}, {@code anthropic-organization-id}, the full
 *       {@code anthropic-ratelimit-*} set and Cloudflare fingerprint headers; error bodies repeat the request id.</li>
 * </ul>
 *
 * <h2>Usage numbers (deterministic)</h2>
 * {@code input_tokens = max(1, requestBodyBytes / 4)}; {@code output_tokens = max(1, utf8Bytes(replyText) / 4)}, or
 * of the tool input JSON text for a tool_use reply (the thinking text is not counted). Cache counters are 0. JSON,
 * SSE ({@code message_delta}) and count_tokens report the same numbers; {@code message_start} reports
 * {@code output_tokens: 1}. In a batch, the request body is the serialised {@code params} of each entry.
 *
 * <h2>Threads and speed</h2>
 * Jetty 12 core handler on a pool of up to 512 threads; plain JSON answers are written without blocking, each
 * streaming answer holds one thread while it runs, {@link Fault#hang()} holds none. The journal keeps the last
 * {@link #journalCapacity 100,000} requests.
 *
 * <h2>HTTP/2</h2>
 * {@link RecordedRequest#protocol()} says which version each request came in on, and
 * {@link RecordedRequest#remoteAddress()} which connection. A client leaving an HTTP/2 stream (RST_STREAM) counts as a
 * client abort like a closed HTTP/1.1 connection. {@link Fault#reset()} closes the whole connection on either version
 * (like a dying server), cutting every stream it carries. Jetty's default of 128 concurrent streams per connection.
 */
public final class FakeAnthropic implements AutoCloseable {

    private static final int DEFAULT_JOURNAL_CAPACITY = 100_000;

    private final Server server;
    private final ServerConnector connector;
    private final String baseUrl;
    private final RequestJournal journal = new RequestJournal(DEFAULT_JOURNAL_CAPACITY);
    final HttpField organizationHeader =
            new PreEncodedHttpField("anthropic-organization-id", UUID.randomUUID().toString());
    final BatchStore batches = new BatchStore(this);
    final FileStore files = new FileStore();

    private volatile String apiKey;
    private final java.util.Set<String> moreApiKeys = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private volatile int textChunkSize = 6;
    private volatile Duration eventDelay = Duration.ZERO;
    private volatile Duration pingInterval;
    private volatile EventGate eventGate;
    private volatile String responseText;
    private final ArrayDeque<Fault> faults = new ArrayDeque<>();
    private volatile Fault defaultFault;

    private final AtomicInteger active = new AtomicInteger();
    private final Set<Exchange> longLived = ConcurrentHashMap.newKeySet();
    private final ReentrantLock abortLock = new ReentrantLock();
    private final Condition aborted = abortLock.newCondition();
    private int clientAborts; // guarded by abortLock
    private volatile boolean closing;

    /** What the fake's one port speaks. */
    public enum Protocols {
        /** Cleartext HTTP/1.1 (the default). */
        HTTP1,
        /** Cleartext HTTP/1.1 and, on the same port, h2c with prior knowledge. */
        H2C,
        /** TLS, ALPN offering h2 and http/1.1; a self-signed certificate (see {@link #trustStore()}). */
        TLS,
        /** TLS, ALPN offering http/1.1 only: an https server that does not speak HTTP/2. */
        TLS_HTTP1;

        boolean secure() {
            return this == TLS || this == TLS_HTTP1;
        }
    }

    private final Protocols protocols;

    private FakeAnthropic(int port, Protocols protocols) {
        this.protocols = protocols;
        QueuedThreadPool threads = new QueuedThreadPool(512, 8, 60_000);
        threads.setName("fake-anthropic");
        threads.setDaemon(true); // a test that forgets close() must not keep the JVM alive
        server = new Server(threads);
        connector = FakeConnectors.create(server, protocols, port);
        server.addConnector(connector);
        server.setHandler(new FakeHandler(this));
        server.setStopTimeout(0);
        try {
            server.start();
        } catch (Exception e) {
            throw new IllegalStateException("cannot start the fake Anthropic API on port " + port, e);
        }
        baseUrl = (protocols.secure() ? "https" : "http") + "://127.0.0.1:" + connector.getLocalPort();
    }

    /** Starts a fake on 127.0.0.1 with an ephemeral port, speaking HTTP/1.1. */
    public static FakeAnthropic start() {
        return start(0);
    }

    /** Starts a fake on 127.0.0.1:{@code port}, speaking HTTP/1.1; 0 picks an ephemeral port. */
    public static FakeAnthropic start(int port) {
        return new FakeAnthropic(port, Protocols.HTTP1);
    }

    /** Starts a fake on 127.0.0.1 with an ephemeral port, speaking {@code protocols}. */
    public static FakeAnthropic start(Protocols protocols) {
        return new FakeAnthropic(0, protocols);
    }

    /** Starts a fake on 127.0.0.1:{@code port} (0: ephemeral), speaking {@code protocols}. */
    public static FakeAnthropic start(int port, Protocols protocols) {
        return new FakeAnthropic(port, protocols);
    }

    /**
     * The fake's self-signed certificate as a trust store, for a client that must reach a TLS fake.
     *
     * @throws IllegalStateException when the fake speaks cleartext
     */
    public KeyStore trustStore() {
        if (!protocols.secure()) {
            throw new IllegalStateException("this fake speaks cleartext " + protocols);
        }
        return SelfSignedCertificate.get().trustStore;
    }

    /** {@code http://127.0.0.1:PORT} ({@code https} with TLS), without trailing slash and without {@code /v1}. */
    public String baseUrl() {
        return baseUrl;
    }

    public int port() {
        return connector.getLocalPort();
    }

    public RequestJournal journal() {
        return journal;
    }

    /**
     * Requires {@code x-api-key: key} or {@code Authorization: Bearer key} on {@code /v1/*}, else 401
     * {@code authentication_error} "invalid x-api-key". {@code null} accepts any request.
     */
    public FakeAnthropic requireApiKey(String key) {
        this.apiKey = key;
        return this;
    }

    /**
     * Accepts {@code key} too, beside the one {@link #requireApiKey} set (a second workspace's key, as a mirror
     * with per-tenant upstream keys sends). Has no effect while no key is required.
     */
    public FakeAnthropic alsoAcceptApiKey(String key) {
        moreApiKeys.add(key);
        return this;
    }

    /** True when the credential headers carry a key this fake accepts. */
    boolean acceptsKey(String xApiKey, String authorization) {
        String key = apiKey;
        if (key == null) {
            return true;
        }
        if (key.equals(xApiKey) || ("Bearer " + key).equals(authorization)) {
            return true;
        }
        String bearer = authorization != null && authorization.startsWith("Bearer ") ? authorization.substring(7) : null;
        return xApiKey != null && moreApiKeys.contains(xApiKey) || bearer != null && moreApiKeys.contains(bearer);
    }

    /** Characters per {@code text_delta} / {@code partial_json} piece (default 6, so values span events). */
    public FakeAnthropic textChunkSize(int chars) {
        if (chars < 1) {
            throw new IllegalArgumentException("chunk size must be >= 1: " + chars);
        }
        this.textChunkSize = chars;
        return this;
    }

    /** Pause between consecutive SSE events (default none). */
    public FakeAnthropic eventDelay(Duration d) {
        this.eventDelay = d == null ? Duration.ZERO : d;
        return this;
    }

    /** While a stream is {@linkplain Fault#stall stalled}, send {@code event: ping} at this interval (default none). */
    public FakeAnthropic pingInterval(Duration d) {
        if (d != null && (d.isZero() || d.isNegative())) {
            throw new IllegalArgumentException("ping interval must be positive: " + d);
        }
        this.pingInterval = d;
        return this;
    }

    /** Called before each scripted SSE event; see {@link EventGate}. {@code null} removes it. */
    public FakeAnthropic eventGate(EventGate gate) {
        this.eventGate = gate;
        return this;
    }

    /** Fixed reply text instead of the echo; {@code null} restores the echo. */
    public FakeAnthropic responseText(String text) {
        this.responseText = text;
        return this;
    }

    /** How many recent requests the journal keeps (default 100,000). */
    public FakeAnthropic journalCapacity(int requests) {
        journal.capacity(requests);
        return this;
    }

    /** Queues a fault for the next matching request only; faults are used first-in first-out. */
    public void enqueue(Fault fault) {
        Objects.requireNonNull(fault, "fault");
        synchronized (faults) {
            faults.addLast(fault);
        }
    }

    /** A fault for every matching request (after queued ones) until cleared with {@code null}. */
    public void setDefaultFault(Fault fault) {
        this.defaultFault = fault;
    }

    /**
     * Waits until at least one client abort was seen: a write of an in-progress response failed, or its peer
     * closed the connection. Returns {@code false} on timeout.
     */
    public boolean awaitClientAbort(Duration timeout) {
        return awaitClientAborts(1, timeout);
    }

    /** Waits until {@link #clientAborts()} reaches {@code count}; {@code false} on timeout. */
    public boolean awaitClientAborts(int count, Duration timeout) {
        long remaining = timeout.toNanos();
        abortLock.lock();
        try {
            while (clientAborts < count) {
                if (remaining <= 0) {
                    return false;
                }
                remaining = aborted.awaitNanos(remaining);
            }
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } finally {
            abortLock.unlock();
        }
    }

    /** Responses abandoned by their client so far (each counted once). */
    public int clientAborts() {
        abortLock.lock();
        try {
            return clientAborts;
        } finally {
            abortLock.unlock();
        }
    }

    /** Requests whose response is still in progress (being written, delayed, stalled or hanging). */
    public int activeStreams() {
        return active.get();
    }

    /** Stops the server: hanging and streaming responses are cut (RST), the port is released. Idempotent. */
    @Override
    public void close() {
        if (closing) {
            return;
        }
        closing = true;
        for (Exchange exchange : longLived) {
            exchange.end();
        }
        try {
            server.stop();
        } catch (Exception e) {
            throw new IllegalStateException("cannot stop the fake Anthropic API", e);
        }
    }

    @Override
    public String toString() {
        return "FakeAnthropic[" + baseUrl + "]";
    }

    // ---------------------------------------------------------------- for the handler

    String apiKey() {
        return apiKey;
    }

    int textChunkSize() {
        return textChunkSize;
    }

    Duration eventDelay() {
        return eventDelay;
    }

    Duration pingInterval() {
        return pingInterval;
    }

    EventGate gate() {
        return eventGate;
    }

    String responseText() {
        return responseText;
    }

    boolean isClosing() {
        return closing;
    }

    /** Removes and returns the first queued fault matching this request, or {@code null}. */
    Fault takeQueuedFault(String path, boolean streamingMessages) {
        synchronized (faults) {
            for (Iterator<Fault> it = faults.iterator(); it.hasNext(); ) {
                Fault fault = it.next();
                if (fault.matches(path, streamingMessages)) {
                    it.remove();
                    return fault;
                }
            }
        }
        return null;
    }

    /** Puts back a queued stream fault whose request failed before streaming, so the next one gets it. */
    void requeue(Fault fault) {
        synchronized (faults) {
            faults.addFirst(fault);
        }
    }

    Fault defaultFault(String path, boolean streamingMessages) {
        Fault fault = defaultFault;
        return fault != null && fault.matches(path, streamingMessages) ? fault : null;
    }

    void started() {
        active.incrementAndGet();
    }

    void track(Exchange exchange) {
        longLived.add(exchange);
        if (closing) {
            exchange.end();
        }
    }

    void finished(Exchange exchange) {
        active.decrementAndGet();
        longLived.remove(exchange);
    }

    void onClientAbort() {
        abortLock.lock();
        try {
            clientAborts++;
            aborted.signalAll();
        } finally {
            abortLock.unlock();
        }
    }
}
