package io.claudemirror.testkit;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;

/**
 * Runs a {@link FakeAnthropic} until the process is killed, e.g. as the upstream of a wrk benchmark:
 * <pre>
 * java -cp mirror-testkit.jar:... io.claudemirror.testkit.FakeAnthropicMain --port 8089 --event-delay-ms 0
 * </pre>
 * Options: {@code --port N} (default 0 = ephemeral), {@code --event-delay-ms N} (pause between SSE events),
 * {@code --chunk-size N} (characters per text delta), {@code --api-key KEY} (require this key), {@code --protocols H2C} (also h2c on the same port; see
 * {@link FakeAnthropic.Protocols}). Prints the base URL
 * on standard output. The journal keeps only the last 1,000 requests so long benchmarks do not fill the heap.
 */
public final class FakeAnthropicMain {

    private FakeAnthropicMain() {
    }

    public static void main(String[] args) {
        int port = 0;
        long eventDelayMs = 0;
        int chunkSize = 6;
        String apiKey = null;
        FakeAnthropic.Protocols protocols = FakeAnthropic.Protocols.HTTP1;
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (i + 1 >= args.length) {
                usage("missing value for " + arg);
            }
            String value = args[++i];
            try {
                switch (arg) {
                    case "--port": port = Integer.parseInt(value); break;
                    case "--event-delay-ms": eventDelayMs = Long.parseLong(value); break;
                    case "--chunk-size": chunkSize = Integer.parseInt(value); break;
                    case "--api-key": apiKey = value; break;
                    case "--protocols": protocols = FakeAnthropic.Protocols.valueOf(value); break;
                    default: usage("unknown option " + arg);
                }
            } catch (NumberFormatException e) {
                usage("not a number: " + value);
            } catch (IllegalArgumentException e) {
                usage("not one of " + java.util.Arrays.toString(FakeAnthropic.Protocols.values()) + ": " + value);
            }
        }
        FakeAnthropic fake = FakeAnthropic.start(port, protocols)
                .eventDelay(Duration.ofMillis(eventDelayMs))
                .textChunkSize(chunkSize)
                .requireApiKey(apiKey)
                .journalCapacity(1_000);
        Runtime.getRuntime().addShutdownHook(new Thread(fake::close, "fake-anthropic-shutdown"));
        System.out.println(fake.baseUrl());
        System.out.flush();
        try {
            new CountDownLatch(1).await(); // the pool threads are daemons: keep main alive until killed
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void usage(String problem) {
        System.err.println(problem);
        System.err.println("usage: FakeAnthropicMain [--port N] [--event-delay-ms N] [--chunk-size N] [--api-key KEY] [--protocols HTTP1|H2C|TLS|TLS_HTTP1]");
        System.exit(2);
    }
}
