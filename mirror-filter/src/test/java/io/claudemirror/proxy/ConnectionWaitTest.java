package io.claudemirror.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.claudemirror.config.MirrorConfig;
import io.claudemirror.support.Http;
import io.claudemirror.support.MirrorServer;
import io.claudemirror.support.MirrorServer.Container;
import io.claudemirror.testkit.FakeAnthropic;
import io.claudemirror.testkit.Fault;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A request that finds every pooled upstream connection busy is counted while it waits, and answered 529 (never
 * queued silently) when no connection frees up within {@code proxy.connectionWaitTimeout}.
 */
class ConnectionWaitTest {
    static final String KEY = "sk-wait-test";
    FakeAnthropic fake;
    MirrorServer mirror;
    HttpClient client = HttpClient.newHttpClient();

    @AfterEach
    void stop() throws Exception {
        if (mirror != null) {
            mirror.close();
        }
        if (fake != null) {
            fake.close();
        }
    }

    void start(Container container, String waitTimeout) throws Exception {
        fake = FakeAnthropic.start();
        mirror = MirrorServer.start(container, MirrorConfig.builder().upstream("primary", fake.baseUrl(), "sk-up")
                .tenant("t", "plain:" + KEY)
                .set("proxy.maxConnectionsPerUpstream", 1)
                .set("proxy.connectionWaitTimeout", waitTimeout)
                .build());
    }

    ConnectionWaitMetrics waits() {
        return mirror.runtime().service(ConnectionWaitMetrics.class, ConnectionWaitMetrics::new);
    }

    /** Sends a request that takes the only connection and holds it; returns once the fake has it. */
    CompletableFuture<HttpResponse<String>> occupyTheOnlyConnection(Fault fault) throws Exception {
        fake.enqueue(fault);
        CompletableFuture<HttpResponse<String>> first = client.sendAsync(
                Http.post(mirror.baseUrl() + "/v1/messages", KEY, Http.messages("first", false)).build(),
                HttpResponse.BodyHandlers.ofString());
        fake.journal().await(1, Duration.ofSeconds(10));
        assertThat(fake.journal().size()).as("the first request reached the upstream").isEqualTo(1);
        return first;
    }

    @ParameterizedTest
    @EnumSource(Container.class)
    void aRequestThatCannotGetAConnectionInTimeIs529(Container container) throws Exception {
        start(container, "300ms");
        CompletableFuture<HttpResponse<String>> first = occupyTheOnlyConnection(Fault.hang());

        long t0 = System.nanoTime();
        HttpResponse<String> second = Http.send(Http.post(mirror.baseUrl() + "/v1/messages", KEY,
                Http.messages("second", false)));
        long tookMs = (System.nanoTime() - t0) / 1_000_000;

        ErrorsTest.assertEnvelope(second, 529, "overloaded_error");
        assertThat(second.body()).contains("connection to the upstream is busy");
        assertThat(tookMs).as("bounded by the deadline, not by the hung request").isBetween(250L, 5_000L);
        assertThat(fake.journal().size()).as("the second request never reached the upstream").isEqualTo(1);
        assertThat(waits().waits()).isEqualTo(1);
        assertThat(waits().timeouts()).isEqualTo(1);
        assertThat(waits().waiting()).isZero();
        assertThat(mirror.runtime().upstreams().get(0).healthy()).as("not the upstream's failure").isTrue();
        first.cancel(true);
    }

    @ParameterizedTest
    @EnumSource(Container.class)
    void aRequestThatGetsAConnectionInTimeIsCountedAndServed(Container container) throws Exception {
        start(container, "10s");
        CompletableFuture<HttpResponse<String>> first = occupyTheOnlyConnection(Fault.delay(Duration.ofMillis(400)));

        HttpResponse<String> second = Http.send(Http.post(mirror.baseUrl() + "/v1/messages", KEY,
                Http.messages("second", false)));

        assertThat(second.statusCode()).isEqualTo(200);
        assertThat(first.get().statusCode()).isEqualTo(200);
        assertThat(fake.journal().size()).isEqualTo(2);
        assertThat(waits().waits()).isEqualTo(1);
        assertThat(waits().timeouts()).isZero();
        assertThat(waits().waiting()).isZero();
    }
}
