package io.claudemirror.web;

import static org.assertj.core.api.Assertions.assertThat;

import io.claudemirror.config.MirrorConfig;
import io.claudemirror.metrics.MirrorMetrics;
import io.claudemirror.support.Http;
import io.claudemirror.support.MirrorServer;
import io.claudemirror.support.MirrorServer.Container;
import io.claudemirror.testkit.FakeAnthropic;
import java.io.File;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The status page after scripted traffic: its JSON has the figures, the page loads nothing from elsewhere, and
 * headless Chromium renders it with non-zero figures (DOM after the scripts ran) and a screenshot
 * ({@code target/status-page.png}).
 */
class StatusPageTest {
    static final String KEY = "sk-status-test";

    @TempDir
    Path dir;
    FakeAnthropic fake;
    MirrorServer mirror;

    @BeforeEach
    void startWithTraffic() throws Exception {
        fake = FakeAnthropic.start();
        MirrorConfig config = MirrorConfig.builder().upstream("primary", fake.baseUrl(), "sk-up")
                .tenant("team-a", "plain:" + KEY).set("tenants[0].limits.requestsPerMinute", "600")
                .set("audit.dir", dir.resolve("audit").toString()).set("admin.trustLoopback", true).build();
        mirror = MirrorServer.start(Container.JETTY, config);
        String url = mirror.baseUrl() + "/v1/messages";
        for (int i = 0; i < 4; i++) {
            assertThat(Http.send(Http.post(url, KEY, Http.messages("hello " + i, false))).statusCode()).isEqualTo(200);
        }
        assertThat(Http.send(Http.post(url, KEY, Http.messages("a stream", true))).statusCode()).isEqualTo(200);
        assertThat(Http.send(Http.post(url, "sk-wrong", Http.messages("no", false))).statusCode()).isEqualTo(401);
        MirrorMetrics m = mirror.runtime().serviceIfPresent(MirrorMetrics.class);
        for (long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(5); m.activeRequests() > 0 && System.nanoTime() < end; ) {
            Thread.onSpinWait();
        }
    }

    @AfterEach
    void stop() throws Exception {
        mirror.close();
        fake.close();
    }

    @Test
    void theJsonHasTheFiguresOfTheTraffic() throws Exception {
        HttpResponse<String> r = Http.send(HttpRequest.newBuilder(URI.create(mirror.baseUrl() + "/mirror/status.json")));
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("content-type")).hasValueSatisfying(v -> assertThat(v).startsWith("application/json"));
        assertThat(r.body()).contains("\"requests\":{\"total\":6,").contains("\"successRate\":1.0")
                .contains("\"authentication_error\":1").contains("\"id\":\"team-a\",\"requests\":5,")
                .contains("\"requestsPerMinute\":600").contains("\"name\":\"primary\",\"healthy\":true")
                .contains("\"ttftMs\":{\"p50\":").doesNotContain(KEY).doesNotContain("sk-up");
    }

    @Test
    void thePageIsSelfContained() throws Exception {
        HttpResponse<String> r = Http.send(HttpRequest.newBuilder(URI.create(mirror.baseUrl() + "/mirror/status")));
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("content-type")).hasValueSatisfying(v -> assertThat(v).startsWith("text/html"));
        assertThat(r.headers().firstValue("content-security-policy")).hasValueSatisfying(v -> assertThat(v)
                .contains("default-src 'none'").contains("connect-src 'self'"));
        assertThat(r.body()).doesNotContainPattern("(src|href)=\"(https?:)?//").doesNotContain("@import")
                .contains("fetch(\"status.json\"");
    }

    @Test
    void loopbackAddressesAreRecognisedForTrustLoopback() {
        assertThat(AdminGate.isLoopback("127.0.0.1")).isTrue();
        assertThat(AdminGate.isLoopback("127.9.8.7")).isTrue();
        assertThat(AdminGate.isLoopback("0:0:0:0:0:0:0:1")).isTrue();
        assertThat(AdminGate.isLoopback("[::1]")).isTrue();
        assertThat(AdminGate.isLoopback("10.0.0.7")).isFalse();
        assertThat(AdminGate.isLoopback("192.168.1.2")).isFalse();
        assertThat(AdminGate.isLoopback("localhost.evil.example")).isFalse();
        assertThat(AdminGate.isLoopback(null)).isFalse();
    }

    @Test
    void headlessChromiumRendersNonZeroFiguresAndAScreenshot() throws Exception {
        if (!installed("chromium")) {
            assertThat(System.getenv("CI")).as("chromium must be installed by .ci/run").isNotEqualTo("true");
            return;
        }
        String page = mirror.baseUrl() + "/mirror/status";
        // The DOM after the page's scripts fetched status.json and rendered it.
        String dom = chromium(List.of("--dump-dom", page));
        assertThat(number(dom, "total")).isEqualTo(6);
        assertThat(text(dom, "success")).isEqualTo("100.0 %");
        assertThat(text(dom, "p95")).endsWith(" ms").isNotEqualTo("0.0 ms");
        assertThat(text(dom, "ttft")).endsWith(" ms");
        assertThat(dom).contains("<td>team-a</td><td>5</td>").contains("<td class=\"ok\">healthy</td>")
                .contains("<td>authentication_error</td>");

        Path png = Path.of("target", "status-page.png").toAbsolutePath();
        Files.deleteIfExists(png);
        chromium(List.of("--screenshot=" + png, "--window-size=1280,1000", page));
        assertThat(png).exists();
        assertThat(Files.size(png)).as("a rendered page, not a blank one").isGreaterThan(20_000);
    }

    String chromium(List<String> args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("chromium", "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--hide-scrollbars", "--user-data-dir=" + Files.createTempDirectory(dir, "chromium"),
                "--virtual-time-budget=5000"));
        cmd.addAll(args);
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isZero();
        return out;
    }

    static String text(String dom, String id) {
        Matcher m = Pattern.compile("id=\"" + id + "\"[^>]*>([^<]*)<").matcher(dom);
        assertThat(m.find()).as("element #%s", id).isTrue();
        return m.group(1);
    }

    static long number(String dom, String id) {
        return Long.parseLong(text(dom, id).trim());
    }

    static boolean installed(String command) {
        for (String d : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (Files.isExecutable(Path.of(d, command))) {
                return true;
            }
        }
        return false;
    }
}
