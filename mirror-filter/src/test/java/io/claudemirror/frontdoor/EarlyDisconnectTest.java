package io.claudemirror.frontdoor;

import static org.assertj.core.api.Assertions.assertThat;

import io.claudemirror.config.MirrorConfig;
import io.claudemirror.support.MirrorServer;
import io.claudemirror.support.MirrorServer.Container;
import io.claudemirror.support.RawClient;
import io.claudemirror.testkit.Fault;
import io.claudemirror.testkit.FakeAnthropic;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Issue 7, probe 5: a client that gives up before the first byte of the answer. Where the container can tell
 * (Jetty: the connection's close notification), the upstream call is cancelled at once; docs/deployment.md says
 * what each container can detect.
 */
class EarlyDisconnectTest {
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

    @ParameterizedTest
    @EnumSource(Container.class)
    void aClientLeavingBeforeTheFirstByteCancelsTheUpstreamCall(Container container) throws Exception {
        fake = FakeAnthropic.start();
        fake.enqueue(Fault.delay(Duration.ofSeconds(20)));
        mirror = MirrorServer.start(container, MirrorConfig.builder().upstream("primary", fake.baseUrl(), "sk-up")
                .tenant("t", "plain:k").set("audit.dir", "").build());
        byte[] body = "{\"model\":\"claude-3-5-haiku-latest\",\"max_tokens\":5,\"messages\":[]}"
                .getBytes(StandardCharsets.UTF_8);
        RawClient client = RawClient.postMessages(mirror.port(), "k", body);
        assertThat(fake.journal().await(1, Duration.ofSeconds(5))).isNotNull();
        client.close();
        long t0 = System.nanoTime();
        boolean aborted = fake.awaitClientAbort(Duration.ofSeconds(8));
        System.out.println(container + " abort seen=" + aborted + " after " + (System.nanoTime() - t0) / 1_000_000 + " ms");
        assertThat(aborted).isTrue();
    }
}
