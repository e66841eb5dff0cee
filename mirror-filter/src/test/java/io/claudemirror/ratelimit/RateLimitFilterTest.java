package io.claudemirror.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import io.claudemirror.MirrorRuntime;
import io.claudemirror.config.MirrorConfig;
import io.claudemirror.config.MirrorConfigBuilder;
import io.claudemirror.exchange.Exchange;
import jakarta.servlet.FilterChain;
import jakarta.servlet.http.HttpServletRequest;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The filter's decisions and completion wiring, driven synchronously on stub requests with a deterministic
 * clock; the same behaviour on real containers is in {@code RateLimitIntegrationTest}.
 */
class RateLimitFilterTest {
    static final String MESSAGES = "/v1/messages";

    final ManualClock clock = new ManualClock();
    MirrorRuntime runtime;
    RateLimitFilter filter;
    final AtomicInteger forwarded = new AtomicInteger();

    static MirrorConfigBuilder config() {
        return MirrorConfig.builder().upstream("primary", "http://127.0.0.1:9", "sk-upstream")
                .tenant("t1", "plain:sk-test");
    }

    void start(MirrorConfigBuilder builder) throws Exception {
        MirrorConfig config = builder.build();
        runtime = new MirrorRuntime(config);
        runtime.service(TenantLimiter.class, () -> new LocalTenantLimiter(config.tenants(), clock));
        filter = new RateLimitFilter(runtime);
        filter.init(runtime);
    }

    @AfterEach
    void close() {
        if (runtime != null) {
            runtime.close();
        }
    }

    static String body(int maxTokens) {
        return "{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":" + maxTokens
                + ",\"messages\":[{\"role\":\"user\",\"content\":\"hello there\"}]}";
    }

    /** Runs one request through the filter as the auth filter would leave it, then completes it. */
    ServletStubs.Response send(String method, String uri, String body, Consumer<Exchange> upstream) throws Exception {
        HttpServletRequest request = ServletStubs.request(method, uri, body);
        ServletStubs.Response response = new ServletStubs.Response();
        Exchange exchange = Exchange.open(request, runtime.config());
        exchange.tenant(runtime.config().tenant("t1"));
        FilterChain chain = (req, resp) -> {
            forwarded.incrementAndGet();
            // What the proxy does: headers from the upstream, then the contributors, then usage as it streams.
            exchange.contributeHeaders(response.proxy);
            upstream.accept(exchange);
        };
        filter.doFilter(request, response.proxy, chain);
        exchange.arm(request, response.proxy);
        return response;
    }

    ServletStubs.Response send(String body, Consumer<Exchange> upstream) throws Exception {
        return send("POST", MESSAGES, body, upstream);
    }

    static Consumer<Exchange> usage(long in, long out) {
        return ex -> {
            ex.usage().input(in);
            ex.usage().output(out);
        };
    }

    @Test
    void overTheLimitGets429WithRetryAfterAndTheTenantsHeaders() throws Exception {
        start(config().set("tenants[0].limits.requestsPerMinute", 2));
        assertThat(send(body(10), usage(5, 5)).headers).containsEntry("anthropic-ratelimit-requests-remaining", "1");
        send(body(10), usage(5, 5));
        ServletStubs.Response r = send(body(10), usage(5, 5));
        assertThat(forwarded.get()).isEqualTo(2);
        assertThat(r.status).isEqualTo(429);
        assertThat(r.headers).containsEntry("retry-after", "30")
                .containsEntry("anthropic-ratelimit-requests-limit", "2")
                .containsEntry("anthropic-ratelimit-requests-remaining", "0")
                .containsEntry("anthropic-ratelimit-requests-reset", "2025-06-01T12:01:00Z")
                .doesNotContainKey("x-should-retry")
                .doesNotContainKey("anthropic-ratelimit-input-tokens-limit");
        assertThat(r.body()).contains("\"type\":\"rate_limit_error\"", "2 requests per minute");
        assertThat(runtime.service(RateLimitMetrics.class, RateLimitMetrics::new).rejections(LimitKind.REQUESTS))
                .isEqualTo(1);
    }

    @Test
    void completionReconcilesTheOutputBucketToTheReportedUsage() throws Exception {
        start(config().set("tenants[0].limits.outputTokensPerMinute", 1000)
                .set("tenants[0].limits.inputTokensPerMinute", 10_000));
        send(body(800), usage(12, 37));
        Headroom h = limiter().headroom(runtime.config().tenant("t1"));
        assertThat(h.outputTokens().remaining()).isEqualTo(1000 - 37);
        assertThat(h.inputTokens().remaining()).isEqualTo(10_000 - 12);
        // The headers the client saw were set when the response started: max_tokens still reserved.
        ServletStubs.Response during = send(body(800), usage(12, 37));
        assertThat(during.headers).containsEntry("anthropic-ratelimit-output-tokens-remaining", "163");
    }

    @Test
    void anUpstreamErrorRefundsTheTokensButCountsTheRequest() throws Exception {
        start(config().set("tenants[0].limits.outputTokensPerMinute", 1000)
                .set("tenants[0].limits.requestsPerMinute", 10));
        send(body(800), ex -> ex.status(529));
        Headroom h = limiter().headroom(runtime.config().tenant("t1"));
        assertThat(h.outputTokens().remaining()).isEqualTo(1000);
        assertThat(h.requests().remaining()).isEqualTo(9);
    }

    @Test
    void maxTokensAboveTheLimitIsRejectedForGood() throws Exception {
        start(config().set("tenants[0].limits.outputTokensPerMinute", 1000));
        ServletStubs.Response r = send(body(4000), usage(1, 1));
        assertThat(r.status).isEqualTo(429);
        assertThat(r.headers).containsEntry("x-should-retry", "false").containsEntry("retry-after", "60");
        assertThat(r.body()).contains("max_tokens (4000) exceeds");
        assertThat(forwarded.get()).isZero();
    }

    @Test
    void countTokensAndModelsCountOnlyAsRequests() throws Exception {
        start(config().set("tenants[0].limits.requestsPerMinute", 10)
                .set("tenants[0].limits.inputTokensPerMinute", 100)
                .set("tenants[0].limits.maxConcurrent", 1));
        String big = "{\"model\":\"claude-x\",\"messages\":[{\"role\":\"user\",\"content\":\"" + "a".repeat(2000) + "\"}]}";
        send("POST", "/v1/messages/count_tokens", big, ex -> { });
        send("GET", "/v1/models", null, ex -> { });
        Headroom h = limiter().headroom(runtime.config().tenant("t1"));
        assertThat(h.inputTokens().remaining()).isEqualTo(100);
        assertThat(h.requests().remaining()).isEqualTo(8);
        assertThat(forwarded.get()).isEqualTo(2);
    }

    @Test
    void observeModeNeverRejectsButCountsAndHeads() throws Exception {
        start(config().set("tenants[0].limits.requestsPerMinute", 1).set("rateLimit.mode", "observe"));
        send(body(10), usage(1, 1));
        ServletStubs.Response r = send(body(10), usage(1, 1));
        assertThat(r.status).isEqualTo(200);
        assertThat(forwarded.get()).isEqualTo(2);
        assertThat(r.headers).containsEntry("anthropic-ratelimit-requests-remaining", "0");
        RateLimitMetrics metrics = runtime.service(RateLimitMetrics.class, RateLimitMetrics::new);
        assertThat(metrics.observed(LimitKind.REQUESTS)).isEqualTo(1);
        assertThat(metrics.rejections()).isZero();
        // What would have been rejected was not charged, so the counters match enforce mode.
        clock.advance(java.time.Duration.ofSeconds(60));
        send(body(10), usage(1, 1));
        assertThat(metrics.observed(LimitKind.REQUESTS)).isEqualTo(1);
    }

    @Test
    void aModelOutsideTheAllowListGets403() throws Exception {
        start(config().set("tenants[0].models", List.of("claude-*-haiku-*")));
        ServletStubs.Response r = send(body(10), usage(1, 1));
        assertThat(r.status).isEqualTo(403);
        assertThat(r.body()).contains("\"type\":\"permission_error\"", "not allowed")
                .doesNotContain("claude-sonnet-4-5"); // the client's model text is not echoed
        assertThat(forwarded.get()).isZero();
        String haiku = "{\"model\":\"claude-3-5-haiku-latest\",\"max_tokens\":5,\"messages\":[]}";
        assertThat(send(haiku, usage(1, 1)).status).isEqualTo(200);
        String batch = "{\"requests\":[{\"custom_id\":\"1\",\"params\":{\"model\":\"claude-opus-4-1\"}}]}";
        assertThat(send("POST", "/v1/messages/batches", batch, ex -> { }).status).isEqualTo(403);
        assertThat(forwarded.get()).isEqualTo(1);
    }

    @Test
    void aTenantWithoutLimitsGetsNoHeaders() throws Exception {
        start(config());
        ServletStubs.Response r = send(body(10), usage(1, 1));
        assertThat(r.headers.keySet()).noneMatch(h -> h.startsWith("anthropic-ratelimit-"));
        assertThat(forwarded.get()).isEqualTo(1);
    }

    @Test
    void theConcurrencyPermitIsReleasedWhenTheExchangeCompletes() throws Exception {
        start(config().set("tenants[0].limits.maxConcurrent", 1));
        send(body(10), ex -> ex.clientAborted(true));
        send(body(10), ex -> ex.status(504));
        assertThat(send(body(10), usage(1, 1)).status).isEqualTo(200);
        assertThat(((LocalTenantLimiter) limiter()).inFlight(runtime.config().tenant("t1"))).isZero();
    }

    TenantLimiter limiter() {
        return runtime.serviceIfPresent(TenantLimiter.class);
    }
}
