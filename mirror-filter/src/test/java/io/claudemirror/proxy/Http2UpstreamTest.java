package io.claudemirror.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.anthropic.client.AnthropicClient;
import com.anthropic.client.okhttp.AnthropicOkHttpClient;
import com.anthropic.core.http.StreamResponse;
import com.anthropic.helpers.MessageAccumulator;
import com.anthropic.models.messages.Message;
import com.anthropic.models.messages.MessageCreateParams;
import com.anthropic.models.messages.RawMessageStreamEvent;
import io.claudemirror.config.MirrorConfig;
import io.claudemirror.support.Http;
import io.claudemirror.support.MirrorServer;
import io.claudemirror.support.MirrorServer.Container;
import io.claudemirror.support.RawClient;
import io.claudemirror.testkit.FakeAnthropic;
import io.claudemirror.testkit.FakeAnthropic.Protocols;
import io.claudemirror.testkit.RecordedRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@code proxy.http2}: which HTTP version reaches the upstream, that one HTTP/2 connection carries many streams, and
 * that everything the mirror does to a request and its answer still holds over it.
 */
class Http2UpstreamTest {
    static final String KEY = "sk-h2-test";
    static final String UPSTREAM_KEY = "sk-ant-h2-upstream";
    static final String MODEL = "claude-sonnet-4-5-20250929";
    static final String H2 = "HTTP/2.0";
    static final String H1 = "HTTP/1.1";

    FakeAnthropic fake;
    MirrorServer mirror;

    @AfterEach
    void stop() throws Exception {
        if (mirror != null) {
            mirror.close();
        }
        if (fake != null) {
            fake.close();
        }
    }

    void start(Container container, Protocols protocols, String http2, int maxConnections) throws Exception {
        fake = FakeAnthropic.start(protocols).requireApiKey(UPSTREAM_KEY);
        io.claudemirror.config.MirrorConfigBuilder config = MirrorConfig.builder().upstream("primary", fake.baseUrl(), UPSTREAM_KEY)
                .tenant("t", "plain:" + KEY).set("proxy.maxConnectionsPerUpstream", maxConnections);
        if (http2 != null) {
            config.set("proxy.http2", http2);
        }
        mirror = MirrorServer.start(container, config.build(), ctx -> {
            if (protocols == Protocols.TLS || protocols == Protocols.TLS_HTTP1) {
                // The fake's certificate is self-signed: the host hands the mirror a client that trusts it.
                SslContextFactory.Client tls = new SslContextFactory.Client();
                tls.setTrustStore(fake.trustStore());
                ctx.setAttribute(MirrorProxyServlet.UPSTREAM_TLS, tls);
            }
        });
    }

    AnthropicClient sdk() {
        return AnthropicOkHttpClient.builder().baseUrl(mirror.baseUrl()).apiKey(KEY).maxRetries(0).build();
    }

    static MessageCreateParams hello(String text) {
        return MessageCreateParams.builder().model(MODEL).maxTokens(256).addUserMessage(text).build();
    }

    static String streamedText(AnthropicClient client, String text) {
        MessageAccumulator acc = MessageAccumulator.create();
        try (StreamResponse<RawMessageStreamEvent> stream = client.messages().createStreaming(hello(text))) {
            stream.stream().forEach(acc::accumulate);
        }
        return acc.message().content().get(0).text().orElseThrow().text();
    }

    /** A JSON and a streamed request answer correctly through the SDK; returns the versions the fake saw. */
    List<String> jsonAndStreamThroughTheSdk() {
        AnthropicClient client = sdk();
        Message message = client.messages().create(hello("Hello over the upstream"));
        assertThat(message.content().get(0).text().orElseThrow().text()).isEqualTo("Hello over the upstream");
        String text = "A stream long enough for many text_delta events, 一二三四五六七八九十.";
        assertThat(streamedText(client, text)).isEqualTo(text);
        return fake.journal().all().stream().map(RecordedRequest::protocol).collect(Collectors.toList());
    }

    @ParameterizedTest
    @EnumSource(Container.class)
    void onSpeaksH2cWithPriorKnowledgeAndTheAnswersAreWhole(Container container) throws Exception {
        start(container, Protocols.H2C, "on", 4096);
        assertThat(jsonAndStreamThroughTheSdk()).containsExactly(H2, H2);

        // The same hygiene both ways: no hop-by-hop header leaves, lower-case answer headers are filtered.
        HttpResponse<String> response = Http.send(Http.post(mirror.baseUrl() + "/v1/messages", KEY,
                Http.messages("headers", true)).header("TE", "trailers").header("Keep-Alive", "timeout=5"));
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("x-accel-buffering")).as("recognised as SSE").hasValue("no");
        assertThat(response.headers().allValues("server")).as("the host may name itself, never the upstream")
                .doesNotContain("cloudflare");
        assertThat(response.headers().map().keySet()).noneMatch(name -> name.toLowerCase().startsWith("cf-")
                || name.equalsIgnoreCase("anthropic-organization-id"));
        RecordedRequest sent = fake.journal().last();
        assertThat(sent.protocol()).isEqualTo(H2);
        assertThat(sent.headers()).extracting(h -> h.getKey().toLowerCase())
                .doesNotContain("connection", "keep-alive", "transfer-encoding", "upgrade", "te", "host");
        assertThat(sent.header("x-api-key")).isEqualTo(UPSTREAM_KEY);
    }

    /**
     * With one connection allowed, fifty streams held open at once all reach the upstream on that connection (over
     * HTTP/1.1 the second would wait), and none is counted as waiting for a connection.
     */
    @ParameterizedTest
    @EnumSource(Container.class)
    void fiftyConcurrentStreamsShareOneConnection(Container container) throws Exception {
        start(container, Protocols.H2C, "on", 1);
        assertThat(streamedText(sdk(), "warm-up")).isEqualTo("warm-up"); // the mirror learns the server's streams
        fake.journal().clear();
        int streams = 50;
        CountDownLatch allHeld = new CountDownLatch(streams);
        fake.eventGate(i -> {
            if (i == 1) {
                allHeld.countDown();
                allHeld.await(20, TimeUnit.SECONDS);
            }
        });
        List<CompletableFuture<HttpResponse<String>>> answers = new ArrayList<>();
        java.net.http.HttpClient client = java.net.http.HttpClient.newBuilder()
                .version(java.net.http.HttpClient.Version.HTTP_1_1).build();
        for (int i = 0; i < streams; i++) {
            answers.add(client.sendAsync(Http.post(mirror.baseUrl() + "/v1/messages", KEY,
                    Http.messages("stream " + i, true)).build(), HttpResponse.BodyHandlers.ofString()));
        }
        assertThat(allHeld.await(20, TimeUnit.SECONDS)).as("all fifty streams open at the upstream at once").isTrue();
        for (int i = 0; i < streams; i++) {
            HttpResponse<String> answer = answers.get(i).get(20, TimeUnit.SECONDS);
            assertThat(answer.statusCode()).isEqualTo(200);
            assertThat(answer.body()).contains("event: message_stop");
        }
        List<RecordedRequest> seen = fake.journal().all();
        assertThat(seen).hasSize(streams).allMatch(r -> r.protocol().equals(H2));
        Set<String> connections = seen.stream().map(RecordedRequest::remoteAddress).collect(Collectors.toSet());
        assertThat(connections).as("upstream connections").hasSize(1);
        ConnectionWaitMetrics waits = mirror.runtime().service(ConnectionWaitMetrics.class, ConnectionWaitMetrics::new);
        assertThat(waits.waits()).as("requests counted as waiting for a connection").isZero();
    }

    /** A client leaving mid-stream resets only its own stream: the other one on the same connection ends whole. */
    @ParameterizedTest
    @EnumSource(Container.class)
    void aClientThatLeavesAbortsOnlyItsOwnStream(Container container) throws Exception {
        start(container, Protocols.H2C, "on", 1);
        fake.eventDelay(Duration.ofMillis(20));
        String stayingText = "The stream that stays reads every word of this reply to its very end.";
        AnthropicClient client = sdk();
        CompletableFuture<String> staying = CompletableFuture.supplyAsync(() -> streamedText(client, stayingText));
        fake.journal().await(1, Duration.ofSeconds(10));
        byte[] leaving = Http.messages("x".repeat(600), true).getBytes(StandardCharsets.UTF_8);
        try (RawClient raw = RawClient.postMessages(mirror.port(), KEY, leaving)) {
            assertThat(raw.readEvents(3)).isEqualTo(3);
        }
        assertThat(fake.awaitClientAbort(Duration.ofSeconds(5))).as("the upstream saw the leaving stream end").isTrue();
        assertThat(staying.get(20, TimeUnit.SECONDS)).isEqualTo(stayingText);
        assertThat(fake.clientAborts()).isEqualTo(1);
        List<RecordedRequest> seen = fake.journal().all();
        assertThat(seen).hasSize(2).allMatch(r -> r.protocol().equals(H2));
        assertThat(seen.get(0).remoteAddress()).as("one connection carried both").isEqualTo(seen.get(1).remoteAddress());
    }

    /** A retryable answer on one h2 upstream fails over to the next; an idle stream times out into an SSE error. */
    @ParameterizedTest
    @EnumSource(Container.class)
    void failoverAndTimeoutsHoldOverH2(Container container) throws Exception {
        try (FakeAnthropic second = FakeAnthropic.start(Protocols.H2C).requireApiKey(UPSTREAM_KEY)) {
            fake = FakeAnthropic.start(Protocols.H2C).requireApiKey(UPSTREAM_KEY);
            mirror = MirrorServer.start(container, MirrorConfig.builder()
                    .upstream("primary", fake.baseUrl(), UPSTREAM_KEY).upstream("secondary", second.baseUrl(), UPSTREAM_KEY)
                    .tenant("t", "plain:" + KEY).set("proxy.http2", "on").set("upstreams[1].backup", true)
                    .set("timeouts.idle", "500ms").build());
            fake.enqueue(io.claudemirror.testkit.Fault.status(529, "overloaded_error", "Overloaded"));
            assertThat(sdk().messages().create(hello("fail over")).content().get(0).text().orElseThrow().text())
                    .isEqualTo("fail over");
            List<RecordedRequest> seen = new ArrayList<>(fake.journal().all());
            seen.addAll(second.journal().all());
            assertThat(seen).as("the primary, then the backup").hasSize(2).allMatch(r -> r.protocol().equals(H2));

            fake.setDefaultFault(io.claudemirror.testkit.Fault.stall(2, Duration.ofSeconds(5)));
            second.setDefaultFault(io.claudemirror.testkit.Fault.stall(2, Duration.ofSeconds(5)));
            HttpResponse<String> stalled = Http.send(Http.post(mirror.baseUrl() + "/v1/messages", KEY,
                    Http.messages("stall", true)));
            assertThat(stalled.statusCode()).isEqualTo(200);
            assertThat(stalled.body()).contains("event: error").contains("timeout_error");
        }
    }

    @ParameterizedTest
    @EnumSource(Container.class)
    void autoNegotiatesH2ThroughAlpn(Container container) throws Exception {
        start(container, Protocols.TLS, null, 4096);
        assertThat(jsonAndStreamThroughTheSdk()).containsExactly(H2, H2);
    }

    @ParameterizedTest
    @EnumSource(Container.class)
    void autoFallsBackToHttp11WhenTheTlsServerOffersNoH2(Container container) throws Exception {
        start(container, Protocols.TLS_HTTP1, "auto", 4096);
        assertThat(jsonAndStreamThroughTheSdk()).containsExactly(H1, H1);
    }

    @ParameterizedTest
    @EnumSource(Container.class)
    void autoSpeaksHttp11ToACleartextUpstream(Container container) throws Exception {
        start(container, Protocols.H2C, "auto", 4096);
        assertThat(jsonAndStreamThroughTheSdk()).containsExactly(H1, H1);
    }

    @ParameterizedTest
    @EnumSource(Container.class)
    void offSpeaksHttp11EvenWhenTheServerOffersH2(Container container) throws Exception {
        start(container, Protocols.TLS, "off", 4096);
        assertThat(jsonAndStreamThroughTheSdk()).containsExactly(H1, H1);
    }
}
