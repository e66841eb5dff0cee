package io.claudemirror.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.claudemirror.routing.UpstreamPool;
import io.claudemirror.testkit.Fault;
import io.claudemirror.testkit.RecordedRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Pacing, quota pauses and conversation stickiness hold across two nodes sharing one Redis. */
class SharedRoutingTest {
    TwoNodes nodes;

    @AfterEach
    void stop() throws Exception {
        if (nodes != null) {
            nodes.close();
        }
    }

    @Test
    void minIntervalSpacesRequestsSentThroughBothNodes() throws Exception {
        nodes = TwoNodes.start(b -> b.set("upstreams[0].minInterval", "250ms"));
        // Warm each node's upstream connection, so a cold connect does not shift a measured request.
        assertThat(nodes.send(nodes.a, TwoNodes.KEY_A, TwoNodes.messages("warm", 8)).statusCode()).isEqualTo(200);
        assertThat(nodes.send(nodes.b, TwoNodes.KEY_A, TwoNodes.messages("warm", 8)).statusCode()).isEqualTo(200);
        nodes.fake.journal().clear();
        List<CompletableFuture<HttpResponse<String>>> all = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            all.add(nodes.sendAsync(i % 2 == 0 ? nodes.a : nodes.b, TwoNodes.KEY_A, TwoNodes.messages("p" + i, 8)));
        }
        for (CompletableFuture<HttpResponse<String>> f : all) {
            assertThat(f.join().statusCode()).isEqualTo(200);
        }
        List<Long> times = new ArrayList<>();
        for (RecordedRequest r : nodes.fake.journal().all()) {
            times.add(r.receivedAtNanos());
        }
        times.sort(Long::compare);
        assertThat(times).hasSize(4);
        for (int i = 1; i < times.size(); i++) {
            // 250 ms apart at the senders (two nodes, one slot sequence in Redis); allow receiver jitter.
            assertThat(times.get(i) - times.get(i - 1)).as("gap %d", i).isGreaterThan(180_000_000L);
        }
    }

    @Test
    void anUpstreamQuotaPauseLearnedByOneNodeRestsItOnTheOther() throws Exception {
        nodes = TwoNodes.start(b -> b);
        nodes.fake.enqueue(Fault.status(429, "rate_limit_error", "quota spent").retryAfter("5"));
        HttpResponse<String> r = nodes.send(nodes.a, TwoNodes.KEY_A, TwoNodes.messages("spend", 8));
        assertThat(r.statusCode()).isEqualTo(429);
        assertThat(nodes.a.runtime().upstreams().get(0).paused()).isTrue();
        TwoNodes.await("B to rest the upstream A found spent", () -> nodes.b.runtime().upstreams().get(0).paused());
        assertThat(nodes.b.runtime().upstreams().get(0).pausedUntilMillis() - System.currentTimeMillis())
                .isBetween(2_000L, 5_100L);
    }

    @Test
    void aConversationBoundToAnUpstreamThroughOneNodeStaysThereThroughTheOther() throws Exception {
        // No request is sent: the pools' choices are the subject, so the second upstream needs no server.
        nodes = TwoNodes.start(b -> b.upstream("secondary", "http://127.0.0.1:9", "sk-upstream-2"));
        UpstreamPool onA = nodes.a.runtime().upstreams();
        UpstreamPool onB = nodes.b.runtime().upstreams();
        for (int i = 0; i < 20; i++) {
            String conversation = "session-" + i;
            UpstreamPool.Pick first = onA.choose(conversation, 0);
            // A writes the binding asynchronously (off the request's path); a real next turn comes much later.
            RedisStore store = TwoNodes.store(nodes.a);
            TwoNodes.await("A's binding in Redis",
                    () -> store.call(l -> l.sync().exists(store.key("sticky:" + conversation))) == 1);
            UpstreamPool.Pick then = onB.choose(conversation, 0);
            // B never saw this conversation: only the binding A stored in Redis can make its pick sticky.
            assertThat(then.sticky()).as(conversation).isTrue();
            assertThat(then.index()).as(conversation).isEqualTo(first.index());
        }
    }
}
