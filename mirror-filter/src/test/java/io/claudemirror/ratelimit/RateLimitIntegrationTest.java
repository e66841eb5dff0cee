package io.claudemirror.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.anthropic.client.AnthropicClient;
import com.anthropic.client.okhttp.AnthropicOkHttpClient;
import com.anthropic.core.http.StreamResponse;
import com.anthropic.errors.PermissionDeniedException;
import com.anthropic.errors.RateLimitException;
import com.anthropic.helpers.MessageAccumulator;
import com.anthropic.models.messages.MessageCreateParams;
import com.anthropic.models.messages.RawMessageStreamEvent;
import io.claudemirror.config.MirrorConfig.Tenant;
import io.claudemirror.support.RawClient;
import io.claudemirror.support.MirrorServer.Container;
import java.net.http.HttpHeaders;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Tenant limits on Jetty and Tomcat, seen by real clients through the real proxy. */
@Timeout(90)
class RateLimitIntegrationTest {
    MirrorHarness h;
    AnthropicClient client;

    @AfterEach
    void stop() throws Exception {
        if (client != null) {
            client.close();
        }
        if (h != null) {
            h.close();
        }
    }

    AnthropicClient sdk(int maxRetries) {
        client = AnthropicOkHttpClient.builder().baseUrl(h.mirror.baseUrl()).apiKey("sk-test").maxRetries(maxRetries)
                .build();
        return client;
    }

    @ParameterizedTest
    @EnumSource(Container.class)
    void fortyParallelRequestsAgainstALimitOfTenAdmitExactlyTen(Container container) throws Exception {
        h = MirrorHarness.start(container, b -> b.set("tenants[0].limits.requestsPerMinute", 10));
        List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            calls.add(h.sendAsync("sk-test", MirrorHarness.messages("hello " + i, 16, false)));
        }
        int ok = 0;
        int limited = 0;
        for (CompletableFuture<HttpResponse<String>> c : calls) {
            HttpResponse<String> r = c.get();
            if (r.statusCode() == 200) {
                ok++;
            } else {
                assertThat(r.statusCode()).isEqualTo(429);
                assertThat(r.body()).contains("\"rate_limit_error\"");
                assertThat(r.headers().firstValue("retry-after")).hasValue("6");
                limited++;
            }
        }
        assertThat(ok).isEqualTo(10);
        assertThat(limited).isEqualTo(30);
        assertThat(h.fake.journal().size()).isEqualTo(10);
    }

    @ParameterizedTest
    @EnumSource(Container.class)
    void theSdkGetsRateLimitExceptionAfterItsRetriesHavingWaitedRetryAfter(Container container) throws Exception {
        h = MirrorHarness.start(container, b -> b.set("tenants[0].limits.requestsPerMinute", 60));
        Tenant t = h.tenant("t1");
        for (int i = 0; i < 60; i++) {
            h.limiter.admit(t, 0, 0, false);
        }
        long start = System.nanoTime();
        AnthropicClient client = sdk(2);
        assertThatThrownBy(() -> client.messages().create(MessageCreateParams.builder().model(MirrorHarness.MODEL)
                .maxTokens(16).addUserMessage("hi").build()))
                .isInstanceOfSatisfying(RateLimitException.class, e -> {
                    assertThat(e.statusCode()).isEqualTo(429);
                    assertThat(e.headers().values("retry-after")).containsExactly("1");
                    assertThat(e.headers().values("anthropic-ratelimit-requests-remaining")).containsExactly("0");
                });
        Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
        // Two retries after retry-after: 1 each. The SDK's own backoff without it would total at most 1.5 s.
        assertThat(elapsed).isGreaterThanOrEqualTo(Duration.ofSeconds(2));
        RateLimitMetrics metrics = h.mirror.runtime().serviceIfPresent(RateLimitMetrics.class);
        assertThat(metrics.rejections(LimitKind.REQUESTS)).isEqualTo(3);
        assertThat(h.fake.journal().size()).isZero();
    }

    @ParameterizedTest
    @EnumSource(Container.class)
    void streamedUsageReconcilesTheOutputBucketToTheRealOutputTokens(Container container) throws Exception {
        h = MirrorHarness.start(container, b -> b.set("tenants[0].limits.outputTokensPerMinute", 10_000));
        Tenant t = h.tenant("t1");
        MessageAccumulator acc = MessageAccumulator.create();
        try (StreamResponse<RawMessageStreamEvent> stream = sdk(0).messages().createStreaming(MessageCreateParams
                .builder().model(MirrorHarness.MODEL).maxTokens(4000)
                .addUserMessage("please repeat these words back to me verbatim, thank you").build())) {
            stream.stream().forEach(acc::accumulate);
        }
        long output = acc.message().usage().outputTokens();
        assertThat(output).isBetween(2L, 100L);
        MirrorHarness.await("settlement", () -> h.limiter.headroom(t).outputTokens().remaining() == 10_000 - output);
        // And the client sees it: the next response's headers (taken with that request's max_tokens reserved).
        HttpResponse<String> next = h.send("sk-test", MirrorHarness.messages("again", 4000, true));
        assertThat(next.headers().firstValue("anthropic-ratelimit-output-tokens-remaining"))
                .hasValue(Long.toString(10_000 - output - 4000));
    }

    @ParameterizedTest
    @EnumSource(Container.class)
    void theConcurrencyPermitComesBackAfterAClientDisconnectMidStream(Container container) throws Exception {
        h = MirrorHarness.start(container, b -> b.set("tenants[0].limits.maxConcurrent", 1));
        h.fake.eventDelay(Duration.ofMillis(100));
        Tenant t = h.tenant("t1");
        byte[] body = MirrorHarness.messages("word ".repeat(200), 1000, true).getBytes(StandardCharsets.UTF_8);
        try (RawClient client = RawClient.postMessages(h.mirror.port(), "sk-test", body)) {
            assertThat(client.readUntil("content_block_delta")).isTrue();
            assertThat(h.limiter.inFlight(t)).isEqualTo(1);
            HttpResponse<String> meanwhile = h.send("sk-test", MirrorHarness.messages("hi", 16, false));
            assertThat(meanwhile.statusCode()).as("the stream holds the only permit").isEqualTo(429);
        }
        assertThat(h.fake.awaitClientAbort(Duration.ofSeconds(10))).isTrue();
        MirrorHarness.await("the permit back", () -> h.limiter.inFlight(t) == 0);
        HttpResponse<String> next = h.send("sk-test", MirrorHarness.messages("hi", 16, false));
        assertThat(next.statusCode()).isEqualTo(200);
    }

    @ParameterizedTest
    @EnumSource(Container.class)
    void theClientSeesItsTenantsRateLimitHeadersNeverTheUpstreams(Container container) throws Exception {
        h = MirrorHarness.start(container, b -> b.set("tenants[0].limits.requestsPerMinute", 10)
                .set("tenants[0].limits.inputTokensPerMinute", 20_000)
                .set("tenants[0].limits.outputTokensPerMinute", 5_000)
                .tenant("free", "plain:sk-free"));
        String body = MirrorHarness.messages("hello", 100, false);
        long inputEstimate = TokenEstimates.inputTokens(body.getBytes(StandardCharsets.UTF_8).length);
        HttpHeaders json = h.send("sk-test", body).headers();
        Instant now = h.clock.now();
        assertThat(json.firstValue("anthropic-ratelimit-requests-limit")).hasValue("10");
        assertThat(json.firstValue("anthropic-ratelimit-requests-remaining")).hasValue("9");
        assertThat(json.firstValue("anthropic-ratelimit-requests-reset")).hasValue(now.plusSeconds(6).toString());
        assertThat(json.firstValue("anthropic-ratelimit-input-tokens-limit")).hasValue("20000");
        assertThat(json.firstValue("anthropic-ratelimit-input-tokens-remaining"))
                .hasValue(Long.toString(20_000 - inputEstimate));
        assertThat(json.firstValue("anthropic-ratelimit-output-tokens-limit")).hasValue("5000");
        assertThat(json.firstValue("anthropic-ratelimit-output-tokens-remaining")).hasValue("4900");
        assertThat(json.firstValue("anthropic-ratelimit-output-tokens-reset")).hasValue(now.plusSeconds(2).toString());
        assertOnlyOneValueEach(json);
        // Upstream-only families and values (the fake's tier-4 key: 4000 requests, 2M/400k tokens) never show.
        assertThat(json.map()).doesNotContainKeys("anthropic-ratelimit-tokens-limit",
                "anthropic-ratelimit-tokens-remaining", "anthropic-ratelimit-tokens-reset");

        HttpHeaders streamed = h.send("sk-test", MirrorHarness.messages("hello", 100, true)).headers();
        assertThat(streamed.firstValue("anthropic-ratelimit-requests-remaining")).hasValue("8");
        assertOnlyOneValueEach(streamed);

        HttpHeaders unlimited = h.send("sk-free", body).headers();
        assertThat(unlimited.map().keySet()).noneMatch(k -> k.startsWith("anthropic-ratelimit-"));
    }

    static void assertOnlyOneValueEach(HttpHeaders headers) {
        for (Map.Entry<String, List<String>> e : headers.map().entrySet()) {
            if (e.getKey().startsWith("anthropic-ratelimit-")) {
                assertThat(e.getValue()).as(e.getKey()).hasSize(1);
                assertThat(e.getValue().get(0)).as(e.getKey()).isNotIn("4000", "3999", "2000000", "400000");
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Container.class)
    void aModelOutsideTheAllowListIsAPermissionError(Container container) throws Exception {
        h = MirrorHarness.start(container, b -> b.set("tenants[0].models", List.of("claude-*-haiku-*")));
        AnthropicClient client = sdk(2);
        assertThatThrownBy(() -> client.messages().create(MessageCreateParams.builder().model(MirrorHarness.MODEL)
                .maxTokens(16).addUserMessage("hi").build()))
                .isInstanceOfSatisfying(PermissionDeniedException.class, e -> assertThat(e.statusCode()).isEqualTo(403));
        assertThat(h.fake.journal().size()).isZero();
    }
}
