package io.claudemirror.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.claudemirror.config.MirrorConfig;
import io.claudemirror.ratelimit.InFlightGate;
import io.claudemirror.support.Http;
import io.claudemirror.support.MirrorServer;
import io.claudemirror.support.MirrorServer.Container;
import io.claudemirror.testkit.FakeAnthropic;
import io.claudemirror.testkit.Fault;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Upstream faults and a departing client, each with its expected outcome and nothing left behind: the QoS slot
 * and the tenant's single concurrency permit are back (the next request is served, not 429), and the audit
 * record of the failed request is on disk with its status.
 */
@Timeout(60)
class FaultSuiteTest {
    static final String KEY = "sk-fault-suite";

    enum Case {
        RESET_BEFORE_HEADERS(false, 529, "overloaded_error"),
        HANG(false, 504, "timeout_error"),
        STATUS_529_STORM(false, 529, "overloaded_error"),
        DROP_MID_STREAM(true, 200, "event: error"),
        ERROR_EVENT_MID_STREAM(true, 200, "overloaded_error"),
        STALL_MID_STREAM(true, 200, "event: error");

        final boolean stream;
        final int status;
        final String marker;

        Case(boolean stream, int status, String marker) {
            this.stream = stream;
            this.status = status;
            this.marker = marker;
        }

        Fault fault() {
            return switch (this) {
                case RESET_BEFORE_HEADERS -> Fault.resetBeforeHeaders();
                case HANG -> Fault.hang();
                case STATUS_529_STORM -> Fault.status(529, "overloaded_error", "Overloaded");
                case DROP_MID_STREAM -> Fault.dropMidStream(3);
                case ERROR_EVENT_MID_STREAM -> Fault.midStreamError(3, "overloaded_error");
                case STALL_MID_STREAM -> Fault.stall(3, Duration.ofSeconds(5));
            };
        }
    }

    @TempDir
    Path auditDir;
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

    static Stream<Arguments> cases() {
        List<Arguments> all = new ArrayList<>();
        for (Container c : Container.values()) {
            for (Case k : Case.values()) {
                all.add(Arguments.of(c, k));
            }
        }
        return all.stream();
    }

    /** {@code tight}: short total and idle timeouts, so hangs and stalls end within the test. */
    void start(Container container, boolean tight) throws Exception {
        fake = FakeAnthropic.start();
        io.claudemirror.config.MirrorConfigBuilder b = MirrorConfig.builder()
                .upstream("primary", fake.baseUrl(), "sk-up")
                .tenant("t", "plain:" + KEY)
                .set("tenants[0].limits.maxConcurrent", 1)
                .set("qos.maxInFlight", 4)
                .set("audit.dir", auditDir.toString());
        if (tight) {
            b.set("timeouts.total", "1500ms").set("timeouts.idle", "700ms");
        }
        mirror = MirrorServer.start(container, b.build());
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void eachFaultEndsAsExpectedAndLeavesNothingBehind(Container container, Case fault) throws Exception {
        start(container, true);
        fake.setDefaultFault(fault.fault());
        HttpResponse<String> r = Http.send(Http.post(mirror.baseUrl() + "/v1/messages", KEY,
                Http.messages("fault " + fault, fault.stream)));
        assertThat(r.statusCode()).isEqualTo(fault.status);
        assertThat(r.body()).contains(fault.marker);
        String id = r.headers().firstValue("request-id").orElseThrow();

        fake.setDefaultFault(null);
        assertNothingLeftBehind(id, fault.status);
    }

    @ParameterizedTest
    @org.junit.jupiter.params.provider.EnumSource(Container.class)
    void aClientThatLeavesMidStreamLeavesNothingBehind(Container container) throws Exception {
        start(container, false);
        fake.eventDelay(Duration.ofMillis(50));
        HttpResponse<InputStream> r = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()
                .send(Http.post(mirror.baseUrl() + "/v1/messages", KEY, Http.messages("leaving early", true)).build(),
                        HttpResponse.BodyHandlers.ofInputStream());
        assertThat(r.statusCode()).isEqualTo(200);
        String id = r.headers().firstValue("request-id").orElseThrow();
        try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
            for (int i = 0; i < 4; i++) {
                assertThat(in.readLine()).isNotNull();
            }
        } // closing the body mid-stream drops the connection
        assertThat(fake.awaitClientAbort(Duration.ofSeconds(10))).as("the upstream stream was cancelled").isTrue();
        fake.eventDelay(Duration.ZERO);
        // The answer had started (200 went out): the record keeps that status and says the client left.
        String line = assertNothingLeftBehind(id, 200);
        assertThat(line).contains("\"clientAborted\":true");
    }

    /** The slot and the permit are back, and the audit line of request {@code id} says {@code status}. */
    private String assertNothingLeftBehind(String id, int status) throws Exception {
        InFlightGate gate = mirror.runtime().serviceIfPresent(InFlightGate.class);
        await("QoS slot returned", () -> gate.inFlight() == 0);
        HttpResponse<String> next = Http.send(Http.post(mirror.baseUrl() + "/v1/messages", KEY,
                Http.messages("next", false)));
        assertThat(next.statusCode()).as("the tenant's only concurrency permit was returned").isEqualTo(200);
        String[] found = new String[1];
        await("audit record of " + id, () -> (found[0] = auditLine(id)) != null);
        assertThat(found[0]).contains("\"status\":" + status);
        return found[0];
    }

    private String auditLine(String id) {
        try (Stream<Path> files = Files.list(auditDir)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                for (String line : Files.readAllLines(f, StandardCharsets.UTF_8)) {
                    if (line.contains("\"requestId\":\"" + id + "\"")) {
                        return line;
                    }
                }
            }
        } catch (java.io.IOException e) {
            return null;
        }
        return null;
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for: " + what);
            }
            Thread.sleep(10); // polling an observable state, not waiting for time to pass
        }
    }
}
