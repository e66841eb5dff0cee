package io.claudemirror.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.claudemirror.config.MirrorConfig;
import io.claudemirror.support.ExpositionParser;
import io.claudemirror.support.ExpositionParser.Family;
import io.claudemirror.support.Http;
import io.claudemirror.support.MirrorServer;
import io.claudemirror.support.MirrorServer.Container;
import io.claudemirror.testkit.FakeAnthropic;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@code GET /metrics} after real traffic, through the Prometheus client's servlet: the text format and
 * OpenMetrics both pass a strict parser (and {@code promtool check metrics} when it is installed), every declared
 * family is there with its HELP, and gzip and {@code name[]} work.
 */
class ExpositionFormatsTest {
    static final String KEY = "sk-exposition-test";
    static final String OPENMETRICS = "application/openmetrics-text; version=1.0.0; charset=utf-8";

    @TempDir
    Path dir;
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

    /** A mirror after a success, a stream, a PII finding and a 401: every family has members. */
    void startWithTraffic(Container container) throws Exception {
        fake = FakeAnthropic.start();
        MirrorConfig config = MirrorConfig.builder().upstream("primary", fake.baseUrl(), "sk-up")
                .tenant("team-a", "plain:" + KEY).set("pii.mode", "redact").set("audit.dir", dir.toString())
                .set("admin.trustLoopback", true).build(); // the scrapes come from loopback; /metrics is admin-only
        mirror = MirrorServer.start(container, config);
        String url = mirror.baseUrl() + "/v1/messages";
        assertThat(Http.send(Http.post(url, KEY, Http.messages("mail jane.doe@example.com", false))).statusCode())
                .isEqualTo(200);
        assertThat(Http.send(Http.post(url, KEY, Http.messages("a stream", true))).statusCode()).isEqualTo(200);
        assertThat(Http.send(Http.post(url, "sk-wrong", Http.messages("no", false))).statusCode()).isEqualTo(401);
        // Metrics are recorded on completion, which may run just after the client has the last byte.
        MirrorMetrics m = mirror.runtime().serviceIfPresent(MirrorMetrics.class);
        for (long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(5); m.activeRequests() > 0 && System.nanoTime() < end; ) {
            Thread.onSpinWait();
        }
    }

    HttpResponse<byte[]> scrape(String query, String accept, String encoding) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(mirror.baseUrl() + "/metrics" + query));
        if (accept != null) {
            b.header("accept", accept);
        }
        if (encoding != null) {
            b.header("accept-encoding", encoding);
        }
        return HttpClient.newHttpClient().send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    @ParameterizedTest
    @EnumSource(Container.class)
    void textFormatParsesStrictlyAndHoldsEveryDeclaredFamily(Container container) throws Exception {
        startWithTraffic(container);
        HttpResponse<byte[]> r = scrape("", null, null);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("content-type")).hasValueSatisfying(v -> assertThat(v)
                .startsWith("text/plain").contains("version=0.0.4"));
        String body = new String(r.body(), StandardCharsets.UTF_8);
        Map<String, Family> families = ExpositionParser.text(body);
        for (MetricFamily declared : MetricFamily.declared()) {
            if (declared.presentWhen() != null) {
                continue; // e.g. cluster mode's families: this mirror has no redis.uri
            }
            String name = declared.prometheusName();
            Family f = families.containsKey(name) ? families.get(name) : families.get(name + "_total");
            assertThat(f).as("family %s in the exposition", name).isNotNull();
            assertThat(f.help()).isEqualTo(declared.help());
            if (declared.label() != null) {
                assertThat(f.samples()).allSatisfy(s -> assertThat(s.labels()).containsKey(declared.label()));
            }
        }
        assertThat(families.get("claude_mirror_errors_total").samples())
                .anySatisfy(s -> assertThat(s.labels()).containsEntry("type", "authentication_error"));
        assertThat(families.get("claude_mirror_pii_findings_total").samples())
                .anySatisfy(s -> assertThat(s.labels()).containsEntry("type", "email"));
        assertThat(families.get("claude_mirror_requests").samples())
                .anySatisfy(s -> assertThat(s.name()).isEqualTo("claude_mirror_requests_count"));
        promtoolAccepts(body);
    }

    @ParameterizedTest
    @EnumSource(Container.class)
    void openMetricsWhenTheScraperAsksAndItParsesStrictly(Container container) throws Exception {
        startWithTraffic(container);
        HttpResponse<byte[]> r = scrape("", OPENMETRICS, null);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("content-type")).hasValueSatisfying(v -> assertThat(v)
                .startsWith("application/openmetrics-text"));
        String body = new String(r.body(), StandardCharsets.UTF_8);
        Map<String, Family> families = ExpositionParser.openMetrics(body);
        assertThat(families.get("claude_mirror_responses").type()).isEqualTo("counter");
        assertThat(families.get("claude_mirror_responses").samples())
                .anySatisfy(s -> assertThat(s.name()).isEqualTo("claude_mirror_responses_total"));
        assertThat(families.get("claude_mirror_upstream_healthy").samples())
                .singleElement().satisfies(s -> assertThat(s.value()).isEqualTo(1.0));
    }

    @Test
    void gzipAndNameSelectionComeFromTheLibrarysServlet() throws Exception {
        startWithTraffic(Container.JETTY);
        HttpResponse<byte[]> zipped = scrape("", null, "gzip");
        assertThat(zipped.headers().firstValue("content-encoding")).hasValue("gzip");
        String unzipped = new String(new GZIPInputStream(new ByteArrayInputStream(zipped.body())).readAllBytes(),
                StandardCharsets.UTF_8);
        assertThat(ExpositionParser.text(unzipped)).containsKey("claude_mirror_ttft");

        HttpResponse<byte[]> one = scrape("?name[]=claude_mirror_requests", null, null);
        assertThat(ExpositionParser.text(new String(one.body(), StandardCharsets.UTF_8))).containsOnlyKeys(
                "claude_mirror_requests");
    }

    /**
     * Every metric name docs/grafana-dashboard.json and docs/prometheus-alerts.yml use is a sample name of a real
     * scrape, so a renamed metric cannot leave a dead panel or an alert that never fires; promtool accepts the rules.
     */
    @Test
    void dashboardAndAlertRulesUseOnlyNamesTheExpositionHas() throws Exception {
        startWithTraffic(Container.JETTY);
        Set<String> exposed = new TreeSet<>();
        for (Family f : ExpositionParser.text(new String(scrape("", null, null).body(), StandardCharsets.UTF_8)).values()) {
            f.samples().forEach(s -> exposed.add(s.name()));
        }
        Path docs = Path.of("..", "docs");
        String dashboard = Files.readString(docs.resolve("grafana-dashboard.json"));
        String rules = Files.readString(docs.resolve("prometheus-alerts.yml"));
        for (String text : List.of(dashboard, rules)) {
            Set<String> used = new TreeSet<>();
            Matcher m = Pattern.compile("claude_mirror_[a-z0-9_]+").matcher(text);
            while (m.find()) {
                used.add(m.group());
            }
            assertThat(used).isNotEmpty();
            assertThat(exposed).containsAll(used);
        }
        // The seed's four panels.
        assertThat(dashboard).contains("\"title\": \"Success rate vs 99.9 % SLO\"")
                .contains("\"title\": \"P95 latency (time to first byte) vs 300 ms\"")
                .contains("\"title\": \"Cache hit ratio vs 60 %\"").contains("\"title\": \"Errors by type\"");
        if (onPath("promtool")) {
            Process p = new ProcessBuilder("promtool", "check", "rules", docs.resolve("prometheus-alerts.yml").toString())
                    .redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).as("promtool check rules: %s", out).isZero();
            assertThat(out).contains("SUCCESS");
        }
    }

    @Test
    void theParserIsStrict() {
        assertThatThrownBy(() -> ExpositionParser.text("x_total 1\n")).hasMessageContaining("before any # TYPE");
        assertThatThrownBy(() -> ExpositionParser.text("# TYPE a counter\na_total 1\n"))
                .hasMessageContaining("does not belong");
        assertThatThrownBy(() -> ExpositionParser.text("# TYPE a gauge\na{l=\"x\\q\"} 1\n"))
                .hasMessageContaining("bad escape");
        assertThatThrownBy(() -> ExpositionParser.text("# TYPE a gauge\na 1\na 2\n")).hasMessageContaining("repeated");
        assertThatThrownBy(() -> ExpositionParser.openMetrics("# TYPE a gauge\na 1\n")).hasMessageContaining("# EOF");
        assertThatThrownBy(() -> ExpositionParser.text("# TYPE a summary\na 1\n")).hasMessageContaining("quantile");
    }

    /** promtool's own parser and linter, when installed (.ci/run installs it). */
    static void promtoolAccepts(String body) throws Exception {
        if (!onPath("promtool")) {
            return;
        }
        Process p = new ProcessBuilder("promtool", "check", "metrics").redirectErrorStream(true).start();
        p.getOutputStream().write(body.getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("promtool check metrics: %s", out).isZero();
    }

    /** Whether {@code command} is installed; under CI (which installs it) its absence fails the test instead. */
    static boolean onPath(String command) {
        boolean found = installed(command);
        assertThat(found || !"true".equals(System.getenv("CI"))).as("%s must be installed by .ci/run", command).isTrue();
        return found;
    }

    static boolean installed(String command) {
        for (String d : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
            if (Files.isExecutable(Path.of(d, command))) {
                return true;
            }
        }
        return false;
    }
}
