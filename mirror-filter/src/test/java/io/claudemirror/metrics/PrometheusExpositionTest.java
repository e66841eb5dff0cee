package io.claudemirror.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import com.codahale.metrics.Gauge;
import com.codahale.metrics.MetricFilter;
import com.codahale.metrics.MetricRegistry;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Dropwizard names and types in, valid Prometheus 0.0.4 text out, families as labels. */
class PrometheusExpositionTest {
    final MetricRegistry registry = new MetricRegistry();

    String text(MetricFilter filter) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new PrometheusExposition(registry, filter).write(out);
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void typesNamesAndUnits() throws Exception {
        registry.meter("claude.mirror.cache.hits").mark(3);
        registry.counter("claude.mirror.ratelimit.rejections").inc(2);
        registry.register("claude.mirror.streams.active", (Gauge<Integer>) () -> 4);
        registry.register("claude.mirror.odd", (Gauge<String>) () -> "not a number");
        registry.timer("claude.mirror.ttft").update(250, TimeUnit.MILLISECONDS);
        registry.histogram("claude.mirror.sizes").update(10);
        String t = text(PrometheusExposition.mirrorOnly());
        assertThat(t).contains("# TYPE claude_mirror_cache_hits_total counter\n")
                .contains("claude_mirror_cache_hits_total 3.0\n")
                .contains("claude_mirror_ratelimit_rejections_total 2.0\n")
                .contains("# TYPE claude_mirror_streams_active gauge\nclaude_mirror_streams_active 4.0\n")
                .contains("# TYPE claude_mirror_ttft summary\n")
                .contains("claude_mirror_ttft{quantile=\"0.5\"} 0.25\n")
                .contains("claude_mirror_ttft_count 1\n")
                .contains("claude_mirror_sizes{quantile=\"0.99\"} 10.0\n")
                .contains("# HELP claude_mirror_ttft Time to the first token")
                .doesNotContain("claude_mirror_odd");
    }

    @Test
    void familiesBecomeOneMetricWithALabel() throws Exception {
        registry.meter("claude.mirror.errors.rate_limit_error").mark();
        registry.meter("claude.mirror.errors.api_error").mark(2);
        registry.timer("claude.mirror.upstream.latency.eu-relay").update(1, TimeUnit.SECONDS);
        registry.timer("claude.mirror.upstream.latency.primary").update(2, TimeUnit.SECONDS);
        registry.counter("claude.mirror.ratelimit.rejections.requests").inc();
        registry.counter("claude.mirror.ratelimit.rejections").inc();
        String t = text(PrometheusExposition.mirrorOnly());
        assertThat(t).contains("claude_mirror_errors_total{type=\"api_error\"} 2.0\n"
                        + "claude_mirror_errors_total{type=\"rate_limit_error\"} 1.0\n")
                .contains("claude_mirror_upstream_latency{upstream=\"eu-relay\",quantile=\"0.5\"} 1.0\n")
                .contains("claude_mirror_upstream_latency_count{upstream=\"primary\"} 1\n")
                .contains("claude_mirror_ratelimit_rejections_by_kind_total{kind=\"requests\"} 1.0\n")
                .contains("claude_mirror_ratelimit_rejections_total 1.0\n");
        assertThat(t.lines().filter(l -> l.startsWith("# TYPE ")).distinct().count())
                .isEqualTo(t.lines().filter(l -> l.startsWith("# TYPE ")).count());
    }

    @Test
    void onlyTheMirrorsMetricsUnlessAllAreAsked() throws Exception {
        registry.counter("claude.mirror.x").inc();
        registry.counter("jvm.threads.count-ish").inc();
        registry.counter("2fast.total").inc();
        assertThat(text(PrometheusExposition.mirrorOnly())).contains("claude_mirror_x_total").doesNotContain("jvm");
        assertThat(text(MetricFilter.ALL)).contains("jvm_threads_count_ish_total 1.0\n").contains("_2fast_total 1.0\n");
    }

    @Test
    void namesAreSnakeCase() {
        assertThat(PrometheusExposition.sanitize("claude.mirror.qos.inFlight")).isEqualTo("claude_mirror_qos_in_flight");
        assertThat(PrometheusExposition.sanitize("jvm.gc.usedAfterGC")).isEqualTo("jvm_gc_used_after_gc");
        assertThat(PrometheusExposition.sanitize("a.b_total")).isEqualTo("a_b");
        assertThat(PrometheusExposition.sanitize("9lives")).isEqualTo("_9lives");
    }

    @Test
    void aClashLeavesOneOutInsteadOfFailingTheScrape() throws Exception {
        registry.counter("claude.mirror.a_b").inc();
        registry.register("claude.mirror.a.b", (Gauge<Integer>) () -> 1);
        String t = text(PrometheusExposition.mirrorOnly());
        assertThat(t.lines().filter(l -> l.matches("# TYPE claude_mirror_a_b(_total)? .*")).count()).isEqualTo(1);
    }
}
