package io.claudemirror.demo.tomcat;

import static io.claudemirror.demo.tomcat.TomcatDemoTest.messages;
import static io.claudemirror.demo.tomcat.TomcatDemoTest.send;
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
import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.web.servlet.ServletRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * {@code --virtual-threads}: on Java 21+ it turns on Boot's {@code spring.threads.virtual.enabled}, and Tomcat runs
 * the request work on virtual threads; without the flag on platform threads; on Java 17 the flag is ignored with a
 * warning. A test-only servlet, registered beside the mirror, answers with the kind of thread that served it.
 */
class TomcatDemoVirtualThreadsTest {
    private static final String PROBE = "/test/thread";

    /** Answers {@code virtual} or {@code platform}. */
    static final class ThreadProbe extends HttpServlet {
        private static final long serialVersionUID = 1L;

        @Override
        protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
            response.setContentType("text/plain");
            response.getWriter().write(VirtualThreadsOption.isVirtual(Thread.currentThread()) ? "virtual" : "platform");
        }
    }

    /** The probe, added to the demo's own sources for these tests only. */
    @Configuration(proxyBeanMethods = false)
    static class ProbeSetup {
        @Bean
        ServletRegistrationBean<ThreadProbe> threadProbe() {
            return new ServletRegistrationBean<>(new ThreadProbe(), PROBE);
        }
    }

    private static TomcatDemo.Running start(boolean virtualThreads) {
        DemoOptions options = new DemoOptions(0, null, DemoOptions.DEFAULT_HOST, virtualThreads);
        return new TomcatDemo.Running(new SpringApplication(TomcatDemo.class, ProbeSetup.class)
                .run(TomcatDemo.springArguments(options)));
    }

    private static String servedOn(TomcatDemo.Running demo) throws Exception {
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
        try (TomcatDemo.Running demo = start(true)) {
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
        try (TomcatDemo.Running demo = start(false)) {
            assertThat(demo.virtualThreads()).isFalse();
            assertThat(servedOn(demo)).isEqualTo("platform");
        }
    }

    private static void theFlagIsIgnoredWithAWarning() throws Exception {
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        PrintStream out = System.out;
        PrintStream err = System.err;
        // Logback's console appender writes to whatever System.out is at the time of each line.
        PrintStream capture = new PrintStream(log, true, StandardCharsets.UTF_8);
        System.setOut(capture);
        System.setErr(capture);
        try (TomcatDemo.Running demo = start(true)) {
            System.setOut(out);
            System.setErr(err);
            assertThat(log.toString(StandardCharsets.UTF_8)).contains("WARN")
                    .contains("--virtual-threads ignored: Java " + Runtime.version().feature()
                            + " has no virtual threads (Java 21+ has); serving on platform threads");
            assertThat(demo.virtualThreads()).isFalse();
            assertThat(servedOn(demo)).isEqualTo("platform");
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }
}
