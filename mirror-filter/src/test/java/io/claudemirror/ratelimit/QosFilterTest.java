package io.claudemirror.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import io.claudemirror.MirrorRuntime;
import io.claudemirror.config.MirrorConfig;
import io.claudemirror.exchange.Exchange;
import jakarta.servlet.http.HttpServletRequest;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The QoS filter's decisions on stub requests; the real-container behaviour is in {@code QosIntegrationTest}. */
class QosFilterTest {
    MirrorRuntime runtime;
    QosFilter filter;
    final AtomicInteger forwarded = new AtomicInteger();

    void start(int maxInFlight) throws Exception {
        MirrorConfig config = MirrorConfig.builder().upstream("primary", "http://127.0.0.1:9", "sk-upstream")
                .tenant("t1", "plain:sk-test").set("qos.maxInFlight", maxInFlight).set("qos.maxQueueWait", "50ms")
                .build();
        runtime = new MirrorRuntime(config);
        filter = new QosFilter(runtime);
        filter.init(runtime);
    }

    @AfterEach
    void close() {
        if (runtime != null) {
            runtime.close();
        }
    }

    /** Sends a request whose exchange is left open (not completed), as a long stream would be. */
    ServletStubs.Response sendOpen(String cacheStatus) throws Exception {
        HttpServletRequest request = ServletStubs.request("POST", "/v1/messages", "{}");
        ServletStubs.Response response = new ServletStubs.Response();
        Exchange exchange = Exchange.open(request, runtime.config());
        exchange.cacheStatus(cacheStatus);
        filter.doFilter(request, response.proxy, (req, resp) -> forwarded.incrementAndGet());
        return response;
    }

    @Test
    void offWhenMaxInFlightIsZero() throws Exception {
        start(0);
        for (int i = 0; i < 5; i++) {
            sendOpen(null);
        }
        assertThat(forwarded.get()).isEqualTo(5);
        assertThat(filter.gate()).isNull();
    }

    @Test
    void overTheCapAfterTheWaitIs529AndACacheHitNeverQueues() throws Exception {
        start(1);
        assertThat(sendOpen(null).status).isEqualTo(200);
        ServletStubs.Response overloaded = sendOpen(null);
        assertThat(overloaded.status).isEqualTo(529);
        assertThat(overloaded.headers).containsEntry("retry-after", "1");
        assertThat(overloaded.body()).contains("\"overloaded_error\"");
        assertThat(sendOpen("HIT").status).isEqualTo(200);
        assertThat(forwarded.get()).isEqualTo(2);
        assertThat(runtime.serviceIfPresent(RateLimitMetrics.class).queueRejections()).isEqualTo(1);
    }

    @Test
    void theSlotIsReleasedWhenTheExchangeCompletes() throws Exception {
        start(1);
        for (int i = 0; i < 3; i++) {
            HttpServletRequest request = ServletStubs.request("POST", "/v1/messages", "{}");
            ServletStubs.Response response = new ServletStubs.Response();
            // The filter owns the exchange here and completes it synchronously once the chain returned.
            filter.doFilter(request, response.proxy, (req, resp) -> forwarded.incrementAndGet());
            assertThat(response.status).isEqualTo(200);
        }
        assertThat(filter.gate().inFlight()).isZero();
    }
}
