package io.claudemirror.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import io.claudemirror.support.MirrorServer.Container;
import io.claudemirror.testkit.Fault;
import io.claudemirror.testkit.RecordedRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The mirror-wide in-flight cap on Jetty and Tomcat, against a slow upstream. */
@Timeout(90)
class QosIntegrationTest {
    MirrorHarness h;

    @AfterEach
    void stop() throws Exception {
        if (h != null) {
            h.close();
        }
    }

    @ParameterizedTest
    @EnumSource(Container.class)
    void underSaturationTheHighPriorityTenantsQueuedRequestsGoFirst(Container container) throws Exception {
        h = MirrorHarness.start(container, b -> b.set("tenants[0].priority", 1)
                .tenant("vip", "plain:sk-vip").set("tenants[1].priority", 10)
                .set("qos.maxInFlight", 1).set("qos.maxQueueWait", "30s"));
        h.fake.setDefaultFault(Fault.delay(Duration.ofMillis(250)));
        InFlightGate gate = h.mirror.runtime().serviceIfPresent(InFlightGate.class);
        List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
        calls.add(h.sendAsync("sk-test", MirrorHarness.messages("blocker", 16, false)));
        h.fake.journal().await(1, Duration.ofSeconds(10));
        // Low priority queues first; the VIP's later requests must still overtake it.
        String[][] arrivals = {{"sk-test", "low-1"}, {"sk-test", "low-2"}, {"sk-vip", "vip-1"}, {"sk-vip", "vip-2"}};
        for (int i = 0; i < arrivals.length; i++) {
            calls.add(h.sendAsync(arrivals[i][0], MirrorHarness.messages(arrivals[i][1], 16, false)));
            int queued = i + 1;
            MirrorHarness.await(queued + " queued", () -> gate.queued() == queued);
        }
        for (CompletableFuture<HttpResponse<String>> c : calls) {
            assertThat(c.get().statusCode()).isEqualTo(200);
        }
        List<String> order = new ArrayList<>();
        for (RecordedRequest r : h.fake.journal().all()) {
            String b = r.bodyText();
            order.add(b.substring(b.lastIndexOf("\"content\":\"") + 11, b.lastIndexOf("\"}]}")));
        }
        assertThat(order).containsExactly("blocker", "vip-1", "vip-2", "low-1", "low-2");
        MirrorHarness.await("all slots back", () -> gate.inFlight() == 0);
    }

    @ParameterizedTest
    @EnumSource(Container.class)
    void aRequestThatWaitsTooLongGets529WithRetryAfter(Container container) throws Exception {
        h = MirrorHarness.start(container, b -> b.set("qos.maxInFlight", 1).set("qos.maxQueueWait", "200ms"));
        h.fake.setDefaultFault(Fault.delay(Duration.ofSeconds(2)));
        CompletableFuture<HttpResponse<String>> blocker = h.sendAsync("sk-test", MirrorHarness.messages("slow", 16, false));
        h.fake.journal().await(1, Duration.ofSeconds(10));
        long start = System.nanoTime();
        HttpResponse<String> r = h.send("sk-test", MirrorHarness.messages("waits", 16, false));
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(200));
        assertThat(r.statusCode()).isEqualTo(529);
        assertThat(r.body()).contains("\"overloaded_error\"");
        assertThat(r.headers().firstValue("retry-after")).hasValue("1");
        assertThat(r.headers().firstValue("request-id")).isPresent();
        assertThat(blocker.get().statusCode()).isEqualTo(200);
        assertThat(h.fake.journal().size()).isEqualTo(1);
    }
}
