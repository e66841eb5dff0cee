package io.claudemirror.container;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The gate between an upstream thread's writes and the container's end of the response. */
class ResponseWriteGateTest {

    @Test
    void theResponseEndsOnlyOnceAWriteInProgressReturnedAndNoWriteFollows() throws Exception {
        ResponseWriteGate gate = new ResponseWriteGate();
        CountDownLatch inside = new CountDownLatch(1);
        CompletableFuture<Void> closing = new CompletableFuture<>();
        CompletableFuture<Boolean> closedBeforeExit = new CompletableFuture<>();
        Thread writer = new Thread(() -> {
            try {
                gate.enter();
                inside.countDown();
                while (!gate.closed()) {
                    Thread.onSpinWait(); // until the container's thread is in close()
                }
                closedBeforeExit.complete(closing.isDone());
                gate.exit();
            } catch (IOException e) {
                closedBeforeExit.completeExceptionally(e);
            }
        }, "upstream-writer");
        writer.start();
        assertThat(inside.await(5, TimeUnit.SECONDS)).isTrue();
        new Thread(() -> {
            gate.close();
            closing.complete(null);
        }, "container").start();

        assertThat(closedBeforeExit.get(5, TimeUnit.SECONDS)).as("close() returned while the write was inside")
                .isFalse();
        closing.get(5, TimeUnit.SECONDS);
        assertThatThrownBy(gate::enter).isInstanceOf(IOException.class);
    }
}
