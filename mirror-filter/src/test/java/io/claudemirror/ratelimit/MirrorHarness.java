package io.claudemirror.ratelimit;

import io.claudemirror.config.MirrorConfig;
import io.claudemirror.config.MirrorConfig.Tenant;
import io.claudemirror.config.MirrorConfigBuilder;
import io.claudemirror.support.MirrorServer;
import io.claudemirror.testkit.FakeAnthropic;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;

/**
 * A mirror on a real container in front of the fake upstream, with the tenant limiter on a {@link ManualClock}
 * so that no token refills while a test runs.
 */
final class MirrorHarness implements AutoCloseable {
    static final String MODEL = "claude-sonnet-4-5-20250929";

    final FakeAnthropic fake;
    final MirrorServer mirror;
    final MirrorConfig config;
    final ManualClock clock = new ManualClock();
    final LocalTenantLimiter limiter;
    final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    private MirrorHarness(FakeAnthropic fake, MirrorServer mirror, MirrorConfig config) {
        this.fake = fake;
        this.mirror = mirror;
        this.config = config;
        // Registered before the first request: the filter looks its limiter up lazily for exactly this.
        this.limiter = (LocalTenantLimiter) mirror.runtime().service(TenantLimiter.class,
                () -> new LocalTenantLimiter(config.tenants(), clock));
    }

    /** {@code settings} receives a builder with the fake as upstream and tenant {@code t1} (key {@code sk-test}). */
    static MirrorHarness start(MirrorServer.Container container, java.util.function.UnaryOperator<MirrorConfigBuilder> settings)
            throws Exception {
        FakeAnthropic fake = FakeAnthropic.start();
        try {
            MirrorConfig config = settings.apply(MirrorConfig.builder().upstream("primary", fake.baseUrl(), "sk-upstream")
                    .tenant("t1", "plain:sk-test")).build();
            return new MirrorHarness(fake, MirrorServer.start(container, config), config);
        } catch (Exception | Error e) {
            fake.close();
            throw e;
        }
    }

    Tenant tenant(String id) {
        return config.tenant(id);
    }

    static String messages(String text, int maxTokens, boolean stream) {
        return "{\"model\":\"" + MODEL + "\",\"max_tokens\":" + maxTokens + (stream ? ",\"stream\":true" : "")
                + ",\"messages\":[{\"role\":\"user\",\"content\":\"" + text + "\"}]}";
    }

    HttpRequest post(String key, String path, String body) {
        return HttpRequest.newBuilder(URI.create(mirror.baseUrl() + path)).timeout(Duration.ofSeconds(30))
                .header("x-api-key", key).header("anthropic-version", "2023-06-01")
                .header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
    }

    HttpResponse<String> send(String key, String body) throws Exception {
        return http.send(post(key, "/v1/messages", body), HttpResponse.BodyHandlers.ofString());
    }

    CompletableFuture<HttpResponse<String>> sendAsync(String key, String body) {
        return http.sendAsync(post(key, "/v1/messages", body), HttpResponse.BodyHandlers.ofString());
    }

    static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(5);
        }
    }

    @Override
    public void close() throws Exception {
        try {
            mirror.close();
        } finally {
            fake.close();
        }
    }
}
