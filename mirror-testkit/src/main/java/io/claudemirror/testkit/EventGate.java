package io.claudemirror.testkit;

/**
 * Hook called by {@link FakeAnthropic} before it writes each scripted SSE event of a streaming reply.
 *
 * <p>{@code beforeEvent(i)} runs on the thread that writes the stream, after event {@code i - 1} was written and
 * flushed to the socket, so a test can hold the stream at an exact point (for example "after message_start") and
 * observe what the client under test has received so far. The gate may block; if the client disconnects while the
 * gate blocks, the writing thread is interrupted, which is why the method may throw {@link InterruptedException}.
 *
 * <p>Indexes count the scripted events only ({@code message_start} is 0, the first {@code content_block_start} is 1,
 * the {@code ping} after it is 2, ...); pings sent during a {@link Fault#stall stall} are not gated. When a mid-stream
 * fault fires at index {@code N}, the gate is still called with {@code N} first, so a test can decide when the fault
 * happens.
 */
@FunctionalInterface
public interface EventGate {

    /**
     * Called before scripted SSE event {@code index} (0-based) is written.
     *
     * @param index position of the event in the scripted stream
     * @throws InterruptedException when the writer is interrupted (client gone, fake closing); the stream then ends
     */
    void beforeEvent(int index) throws InterruptedException;
}
