package io.claudemirror.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.codahale.metrics.Counting;
import com.codahale.metrics.Gauge;
import com.codahale.metrics.Metric;
import com.codahale.metrics.MetricRegistry;
import io.claudemirror.ClaudeMirror;
import io.claudemirror.MirrorRuntime;
import io.claudemirror.config.MirrorConfig;
import io.claudemirror.config.MirrorConfigBuilder;
import io.claudemirror.support.Http;
import io.claudemirror.support.MirrorServer;
import io.claudemirror.support.MirrorServer.Container;
import io.claudemirror.testkit.FakeAnthropic;
import io.claudemirror.testkit.Fault;
import jakarta.servlet.FilterConfig;
import jakarta.servlet.ServletContext;
import jakarta.servlet.ServletException;
import java.lang.reflect.Proxy;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The mirror records into the host's own Dropwizard registry, and /metrics shows the same in Prometheus text. */
class MetricsTest {
    static final String KEY = "sk-metrics-test";
    static final String DROPWIZARD_KEY = "io.dropwizard.metrics.servlets.MetricsServlet.registry";

    @TempDir
    Path auditDir;
    final MetricRegistry registry = new MetricRegistry();
    final AtomicReference<ServletContext> context = new AtomicReference<>();
    final AtomicReference<MirrorRuntime> runtime = new AtomicReference<>();
    FakeAnthropic fake;
    MirrorServer host;
    static final String ADMIN = "sk-admin-metrics";

    MirrorConfigBuilder config() {
        fake = FakeAnthropic.start();
        return MirrorConfig.builder().upstream("primary", fake.baseUrl(), "sk-up").tenant("t1", "plain:" + KEY)
                .set("admin.keys", List.of("plain:" + ADMIN))
                .set("audit.dir", auditDir.toString());
    }

    /** A host that publishes its registry under Dropwizard's own MetricsServlet key, then installs the mirror. */
    void start(Container container, MirrorConfigBuilder builder) throws Exception {
        MirrorConfig config = builder.build();
        host = MirrorServer.host(container, "", ctx -> {
            context.set(ctx);
            ctx.setAttribute(DROPWIZARD_KEY, registry);
            registry.counter("host.own.requests").inc();
            runtime.set(ClaudeMirror.install(ctx, config));
        });
    }

    @AfterEach
    void stop() throws Exception {
        if (host != null) {
            host.close();
        }
        if (fake != null) {
            fake.close();
        }
    }

    long count(String name) {
        Metric m = registry.getMetrics().get("claude.mirror." + name);
        assertThat(m).as(name).isNotNull();
        return ((Counting) m).getCount();
    }

    Object gauge(String name) {
        Gauge<?> g = registry.getGauges().get("claude.mirror." + name);
        assertThat(g).as(name).isNotNull();
        return g.getValue();
    }

    static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(20);
        }
    }

    @ParameterizedTest
    @EnumSource(Container.class)
    void outcomesLandInTheHostRegistry(Container container) throws Exception {
        start(container, config().set("timeouts.idle", "1s"));
        assertThat(context.get().getAttribute(MirrorMetrics.REGISTRY_ATTRIBUTE)).as("no second registry").isNull();
        String url = host.baseUrl() + "/v1/messages";
        assertThat(Http.send(Http.post(url, KEY, Http.messages("hello", false))).statusCode()).isEqualTo(200);
        HttpResponse<Stream<String>> stream = Http.lines(Http.post(url, KEY, Http.messages("stream this", true)));
        assertThat(stream.body().filter(l -> l.equals("event: message_stop")).count()).isEqualTo(1);
        assertThat(Http.send(Http.post(url, "sk-nope", Http.messages("x", false))).statusCode()).isEqualTo(401);
        fake.enqueue(Fault.hang());
        assertThat(Http.send(Http.post(url, KEY, Http.messages("x", false))).statusCode()).isEqualTo(504);

        await("four requests timed", () -> count("requests") == 4);
        assertThat(count("requests.stream")).isEqualTo(1);
        assertThat(count("requests.nonstream")).isEqualTo(3);
        assertThat(count("responses.2xx")).isEqualTo(2);
        assertThat(count("responses.4xx")).isEqualTo(1);
        assertThat(count("responses.5xx")).isEqualTo(1);
        assertThat(count("errors.authentication_error")).isEqualTo(1);
        assertThat(count("errors.timeout_error")).isEqualTo(1);
        assertThat(count("errors.rate_limit_error")).isZero();
        assertThat(count("tokens.input")).isPositive();
        assertThat(count("tokens.output")).isPositive();
        assertThat(count("tenant.tokens.output.t1")).isEqualTo(count("tokens.output"));
        assertThat(count("tenant.requests.t1")).isEqualTo(3);
        assertThat(count("ttfb")).isGreaterThanOrEqualTo(2);
        assertThat(count("ttft")).as("one stream, one first token").isEqualTo(1);
        assertThat(count("upstream.requests.primary")).isEqualTo(3);
        assertThat(count("upstream.failures.primary")).isEqualTo(1);
        assertThat(count("upstream.latency.primary")).isEqualTo(3);
        assertThat(count("cache.hits") + count("cache.misses")).isZero();
        assertThat(count("ratelimit.rejections")).isZero();
        assertThat(gauge("streams.active")).isEqualTo(0);
        assertThat(gauge("requests.active")).isEqualTo(0);
        assertThat(gauge("upstream.healthy.primary")).isEqualTo(1);
        await("audit lines counted", () -> count("audit.written") == 4);

        host.close();
        host = null;
        assertThat(registry.getNames()).as("the mirror's metrics leave with it").noneMatch(n -> n.startsWith("claude."))
                .contains("host.own.requests");
    }

    @ParameterizedTest
    @EnumSource(Container.class)
    void anOpenStreamIsActiveUntilItEnds(Container container) throws Exception {
        start(container, config());
        CountDownLatch release = new CountDownLatch(1);
        fake.eventGate(i -> {
            if (i == 4) {
                release.await(10, TimeUnit.SECONDS);
            }
        });
        HttpResponse<Stream<String>> r = Http.lines(Http.post(host.baseUrl() + "/v1/messages", KEY,
                Http.messages("hold me open", true)));
        Iterator<String> lines = r.body().iterator();
        assertThat(lines.next()).startsWith("event: message_start");
        await("one active stream", () -> Integer.valueOf(1).equals(gauge("streams.active")));
        assertThat(gauge("requests.active")).isEqualTo(1);
        release.countDown();
        while (lines.hasNext()) {
            lines.next();
        }
        await("no active stream", () -> Integer.valueOf(0).equals(gauge("streams.active")));
        // The completion callback counts the stream out before it updates the timers: wait for those too.
        await("time to first token recorded", () -> count("ttft") == 1);
        assertThat(gauge("requests.active")).isEqualTo(0);
    }

    @ParameterizedTest
    @EnumSource(Container.class)
    void metricsServletShowsTheSameMetricsInPrometheusText(Container container) throws Exception {
        start(container, config());
        Http.send(Http.post(host.baseUrl() + "/v1/messages", KEY, Http.messages("hello", false)));
        Http.send(Http.post(host.baseUrl() + "/v1/messages", "sk-nope", Http.messages("hello", false)));
        await("two requests timed", () -> count("requests") == 2);

        // Issue 7, probe 9: the exposition (tenant ids, upstream names, failure reasons) is for admins only.
        HttpResponse<String> anonymous = Http.send(HttpRequest.newBuilder(URI.create(host.baseUrl() + "/metrics")));
        assertThat(anonymous.statusCode()).isEqualTo(401);
        assertThat(anonymous.body()).contains("authentication_error").doesNotContain("claude_mirror");
        assertThat(anonymous.headers().firstValue("www-authenticate").orElseThrow()).startsWith("Basic");
        HttpResponse<String> tenant = Http.send(HttpRequest.newBuilder(URI.create(host.baseUrl() + "/metrics"))
                .header("x-api-key", KEY));
        assertThat(tenant.statusCode()).as("a tenant key is not an admin key").isEqualTo(401);
        String basic = java.util.Base64.getEncoder().encodeToString(("ops:" + ADMIN).getBytes(StandardCharsets.UTF_8));
        HttpResponse<String> r = Http.send(HttpRequest.newBuilder(URI.create(host.baseUrl() + "/metrics"))
                .header("Authorization", "Basic " + basic));
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(Http.send(HttpRequest.newBuilder(URI.create(host.baseUrl() + "/metrics"))
                .header("Authorization", "Bearer " + ADMIN)).statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("content-type").orElseThrow()).startsWith("text/plain")
                .contains("version=0.0.4");
        assertThat(r.body())
                .contains("# TYPE claude_mirror_requests summary\n")
                .contains("claude_mirror_requests_count 2\n")
                .contains("# TYPE claude_mirror_responses_total counter\n")
                .contains("claude_mirror_responses_total{class=\"2xx\"} 1.0\n")
                .contains("claude_mirror_responses_total{class=\"4xx\"} 1.0\n")
                .contains("claude_mirror_errors_total{type=\"authentication_error\"} 1.0\n")
                .contains("claude_mirror_upstream_requests_total{upstream=\"primary\"} 1.0\n")
                .contains("claude_mirror_upstream_healthy{upstream=\"primary\"} 1.0\n")
                .contains("claude_mirror_streams_active 0.0\n")
                .contains("claude_mirror_tokens_input_total ")
                .contains("claude_mirror_ttfb{quantile=\"0.99\"} ")
                .doesNotContain("host_own_requests")
                .doesNotContain("sk-");
        assertThat(r.body().lines().filter(l -> l.startsWith("# TYPE claude_mirror_errors_total ")).count())
                .as("one family, one TYPE line").isEqualTo(1);
    }

    @Test
    void installWithoutAHostRegistryCreatesAndPublishesOne() throws Exception {
        MirrorConfig config = config().build();
        host = MirrorServer.host(Container.JETTY, "", ctx -> {
            context.set(ctx);
            runtime.set(ClaudeMirror.install(ctx, config));
        });
        Object published = context.get().getAttribute(MirrorMetrics.REGISTRY_ATTRIBUTE);
        assertThat(published).isInstanceOf(MetricRegistry.class);
        assertThat(runtime.get().serviceIfPresent(MirrorMetrics.class).registry()).isSameAs(published);
    }

    @Test
    void theFilterFailsAtInitWithoutARegistry() {
        MirrorRuntime rt = new MirrorRuntime(MirrorConfig.builder().upstream("primary", "http://127.0.0.1:9", "k")
                .tenant("t1", "plain:" + KEY).set("audit.dir", "").build());
        ServletContext ctx = stub(ServletContext.class, Map.of(MirrorRuntime.ATTRIBUTE, rt));
        FilterConfig fc = stub(FilterConfig.class, Map.of("servletContext", ctx));
        assertThatThrownBy(() -> new MetricsFilter().init(fc)).isInstanceOf(ServletException.class)
                .hasMessageContaining("no Dropwizard MetricRegistry")
                .hasMessageContaining("io.claudemirror.metrics.MirrorMetrics.registry");
        rt.close();
    }

    @Test
    void theFilterTakesARegistryFromAnyKnownAttribute() throws Exception {
        for (String key : MirrorMetrics.REGISTRY_ATTRIBUTES) {
            MirrorRuntime rt = new MirrorRuntime(MirrorConfig.builder().upstream("primary", "http://127.0.0.1:9", "k")
                    .tenant("t1", "plain:" + KEY).set("audit.dir", "").build());
            MetricRegistry r = new MetricRegistry();
            ServletContext ctx = stub(ServletContext.class, Map.of(MirrorRuntime.ATTRIBUTE, rt, key, r));
            MetricsFilter f = new MetricsFilter();
            f.init(stub(FilterConfig.class, Map.of("servletContext", ctx)));
            assertThat(f.metrics().registry()).as(key).isSameAs(r);
            assertThat(r.getNames()).contains("claude.mirror.requests", "claude.mirror.upstream.requests.primary");
            rt.close();
            assertThat(r.getNames()).as("closed with the runtime").isEmpty();
        }
    }

    @Test
    void attributeKeysArePublicContract() {
        assertThat(MirrorMetrics.REGISTRY_ATTRIBUTE).isEqualTo("io.claudemirror.metrics.MirrorMetrics.registry");
        assertThat(MirrorMetrics.REGISTRY_ATTRIBUTES).contains(
                "io.dropwizard.metrics.servlets.MetricsServlet.registry",
                "com.codahale.metrics.servlets.MetricsServlet.registry");
    }

    /** A stub whose getAttribute(name) and getServletContext() answer from {@code values}; null elsewhere. */
    @SuppressWarnings("unchecked")
    static <T> T stub(Class<T> type, Map<String, Object> values) {
        return (T) Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, (proxy, method, args) -> {
            switch (method.getName()) {
                case "getAttribute":
                    return values.get((String) args[0]);
                case "getServletContext":
                    return values.get("servletContext");
                case "toString":
                    return type.getSimpleName() + " stub";
                case "hashCode":
                    return System.identityHashCode(proxy);
                case "equals":
                    return proxy == args[0];
                default:
                    return null;
            }
        });
    }
}
