package io.claudemirror.demo.jetty;

import static io.claudemirror.demo.jetty.JettyDemoTest.messages;
import static io.claudemirror.demo.jetty.JettyDemoTest.send;
import static org.assertj.core.api.Assertions.assertThat;

import io.claudemirror.demo.DemoOptions;
import io.claudemirror.demo.MirrorSource;
import io.claudemirror.demo.VirtualThreadsOption;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import org.eclipse.jetty.ee10.webapp.WebAppContext;
import org.junit.jupiter.api.Test;

/**
 * {@code --virtual-threads}: on Java 21+ the web application's request work runs on virtual threads, without the
 * flag on platform threads; on Java 17 the flag is ignored with a warning. A test-only servlet, added beside the
 * mirror in the demo's web application, answers with the kind of thread that served it.
 */
class JettyDemoVirtualThreadsTest {
    private static final String PROBE = "/test/thread";

    /** Answers {@code virtual} or {@code platform}. */
    public static final class ThreadProbe extends HttpServlet {
        private static final long serialVersionUID = 1L;

        @Override
        protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
            response.setContentType("text/plain");
            response.getWriter().write(VirtualThreadsOption.isVirtual(Thread.currentThread()) ? "virtual" : "platform");
        }
    }

    private static JettyDemo.Running start(boolean virtualThreads) throws Exception {
        JettyDemo.Running demo = JettyDemo.start(new DemoOptions(0, null, DemoOptions.DEFAULT_HOST, virtualThreads));
        demo.server().getDescendant(WebAppContext.class).addServlet(ThreadProbe.class, PROBE);
        return demo;
    }

    private static String servedOn(JettyDemo.Running demo) throws Exception {
        HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(demo.url() + PROBE)));
        assertThat(r.statusCode()).isEqualTo(200);
        return r.body();
    }

    /**
     * Both outcomes are asserted, one per JDK: the build runs on Java 17 (the flag is ignored with a warning) and
     * {@code .ci/run} runs this class again on a Java 21+ JDK (the flag is honoured).
     */
    @Test
    void withTheFlagRequestWorkRunsOnVirtualThreadsWhereTheJdkHasThemAndElseAWarningSaysSo() throws Exception {
        if (!VirtualThreadsOption.supported()) {
            theFlagIsIgnoredWithAWarning();
            return;
        }
        try (JettyDemo.Running demo = start(true)) {
            assertThat(demo.virtualThreads()).isTrue();
            assertThat(servedOn(demo)).isEqualTo("virtual");

            HttpResponse<String> r = send(messages(demo.url(), "Hello on a virtual thread", true)
                    .header("x-api-key", MirrorSource.DEMO_KEY));
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body()).contains("event: message_start").contains("event: message_stop");
        }
    }

    @Test
    void withoutTheFlagRequestWorkRunsOnPlatformThreads() throws Exception {
        try (JettyDemo.Running demo = start(false)) {
            assertThat(demo.virtualThreads()).isFalse();
            assertThat(servedOn(demo)).isEqualTo("platform");
        }
    }

    private static void theFlagIsIgnoredWithAWarning() throws Exception {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream original = System.err;
        // slf4j-simple writes to whatever System.err is at the time of each line.
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try (JettyDemo.Running demo = start(true)) {
            System.setErr(original);
            assertThat(err.toString(StandardCharsets.UTF_8)).contains("WARN")
                    .contains("--virtual-threads ignored: Java " + Runtime.version().feature()
                            + " has no virtual threads (Java 21+ has); serving on platform threads");
            assertThat(demo.virtualThreads()).isFalse();
            assertThat(servedOn(demo)).isEqualTo("platform");
        } finally {
            System.setErr(original);
        }
    }
}
