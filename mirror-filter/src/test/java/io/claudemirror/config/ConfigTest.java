package io.claudemirror.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.claudemirror.config.MirrorConfig.AuthMode;
import io.claudemirror.config.MirrorConfig.PiiMode;
import java.io.StringReader;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The configuration is read from YAML, init-params or code, and every mistake names its key. */
class ConfigTest {
    static final String FULL = String.join("\n",
            "mountPath: /claude",
            "upstreams:",
            "  - name: primary",
            "    url: https://api.anthropic.com",
            "    apiKey: ${TEST_KEY}",
            "    weight: 2",
            "    minInterval: 300ms",
            "  - name: relay",
            "    url: https://relay.example.com/anthropic",
            "    apiKey: ${MISSING:-fallback}",
            "    backup: true",
            "timeouts:",
            "  connect: 5s",
            "  idle: 5m",
            "  total: 1h",
            "maxRequestBytes: 32MB",
            "auth:",
            "  mode: tenants",
            "tenants:",
            "  - id: team-a",
            "    keys: [\"sha256:" + "a".repeat(64) + "\", \"plain:sk-mirror-demo\"]",
            "    limits:",
            "      requestsPerMinute: 60",
            "      inputTokensPerMinute: 200000",
            "      outputTokensPerMinute: 40000",
            "      maxConcurrent: 8",
            "      tokensPerDay: 0",
            "    models: [\"claude-*\"]",
            "    priority: 3",
            "    pii: block",
            "cache:",
            "  enabled: true",
            "  maxEntries: 1000",
            "  ttl: 1h",
            "  messages: deterministic",
            "  shared: false",
            "  diskDir: \"\"",
            "pii:",
            "  mode: redact",
            "audit:",
            "  dir: ./audit",
            "  retention: 7d",
            "redis:",
            "  uri: \"\"",
            "");

    static MirrorConfig yaml(String text) {
        return ConfigLoader.fromYaml(new StringReader(text), Map.of("TEST_KEY", "sk-ant-from-env"));
    }

    @Test
    void flatPropertiesAcceptUpstreamNamesWithHyphensAsMapKeys() {
        MirrorConfig c = ConfigLoader.fromProperties(java.util.Map.of(
                "upstreams[0].name", "fake-anthropic", "upstreams[0].url", "http://127.0.0.1:9",
                "tenants[0].id", "a", "tenants[0].keys", "plain:k",
                "tenants[0].upstreamKeys.fake-anthropic", "sk-own"), java.util.Map.of());
        assertThat(c.tenants().get(0).upstreamKey("fake-anthropic")).isEqualTo("sk-own");
    }

    @Test
    void readsEveryContractKey() {
        MirrorConfig c = yaml(FULL);
        assertThat(c.mountPath()).isEqualTo("/claude");
        assertThat(c.upstreams()).hasSize(2);
        assertThat(c.upstreams().get(0).apiKey()).isEqualTo("sk-ant-from-env");
        assertThat(c.upstreams().get(0).minInterval()).isEqualTo(Duration.ofMillis(300));
        assertThat(c.upstreams().get(0).weight()).isEqualTo(2);
        assertThat(c.upstreams().get(1).apiKey()).isEqualTo("fallback");
        assertThat(c.upstreams().get(1).backup()).isTrue();
        assertThat(c.upstreams().get(1).base()).isEqualTo("https://relay.example.com/anthropic");
        assertThat(c.timeouts().total()).isEqualTo(Duration.ofHours(1));
        assertThat(c.maxRequestBytes()).isEqualTo(32L * 1024 * 1024);
        assertThat(c.auth().mode()).isEqualTo(AuthMode.TENANTS);
        MirrorConfig.Tenant t = c.tenants().get(0);
        assertThat(t.limits().requestsPerMinute()).isEqualTo(60);
        assertThat(t.limits().maxConcurrent()).isEqualTo(8);
        assertThat(t.models()).containsExactly("claude-*");
        assertThat(t.priority()).isEqualTo(3);
        assertThat(t.pii()).isEqualTo(PiiMode.BLOCK);
        assertThat(c.pii().mode()).isEqualTo(PiiMode.REDACT);
        assertThat(c.cache().enabled()).isTrue();
        assertThat(c.audit().retention()).isEqualTo(Duration.ofDays(7));
        assertThat(c.redis().enabled()).isFalse();
        assertThat(c.summary()).doesNotContain("sk-ant-from-env").doesNotContain("sk-mirror-demo");
    }

    @Test
    void defaultsForAMinimalFile() {
        MirrorConfig c = yaml("upstreams:\n  - url: https://api.anthropic.com\ntenants:\n  - id: a\n    keys: plain:k\n");
        assertThat(c.mountPath()).isEmpty();
        assertThat(c.upstreams().get(0).name()).isEqualTo("primary");
        assertThat(c.timeouts().connect()).isEqualTo(Duration.ofSeconds(5));
        assertThat(c.timeouts().idle()).isEqualTo(Duration.ofMinutes(5));
        assertThat(c.timeouts().total()).isEqualTo(Duration.ofMinutes(10));
        assertThat(c.pii().mode()).isEqualTo(PiiMode.OFF);
        assertThat(c.rateLimit().enforce()).isTrue();
    }

    @Test
    void unknownKeysBadValuesAndMissingValuesNameTheKey() {
        assertThatThrownBy(() -> yaml(FULL.replace("  idle: 5m", "  idel: 5m")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("timeouts.idel").hasMessageContaining("unknown key");
        assertThatThrownBy(() -> yaml(FULL.replace("  idle: 5m", "  idle: 5 minutes")))
                .hasMessageContaining("timeouts.idle").hasMessageContaining("not a duration");
        assertThatThrownBy(() -> yaml(FULL.replace("maxRequestBytes: 32MB", "maxRequestBytes: lots")))
                .hasMessageContaining("maxRequestBytes");
        assertThatThrownBy(() -> yaml(FULL.replace("requestsPerMinute: 60", "requestsPerMinute: -1")))
                .hasMessageContaining("tenants[0].limits.requestsPerMinute");
        assertThatThrownBy(() -> yaml(FULL.replace("    url: https://relay.example.com/anthropic\n", "")))
                .hasMessageContaining("upstreams[1].url").hasMessageContaining("required");
        assertThatThrownBy(() -> yaml(FULL.replace("apiKey: ${TEST_KEY}", "apiKey: ${NOT_SET_ANYWHERE}")))
                .hasMessageContaining("upstreams[0].apiKey").hasMessageContaining("NOT_SET_ANYWHERE");
        assertThatThrownBy(() -> yaml(FULL.replace("plain:sk-mirror-demo", "sk-mirror-demo")))
                .hasMessageContaining("tenants[0].keys[1]");
        assertThatThrownBy(() -> yaml(FULL.replace("  mode: redact", "  mode: scramble")))
                .hasMessageContaining("pii.mode");
        assertThatThrownBy(() -> yaml(FULL.replace("url: https://api.anthropic.com", "url: https://api.anthropic.com/v1")))
                .hasMessageContaining("upstreams[0].url").hasMessageContaining("/v1");
        assertThatThrownBy(() -> yaml("upstreams: []\n")).hasMessageContaining("upstreams");
        assertThatThrownBy(() -> yaml(FULL + "surprise: 1\n")).hasMessageContaining("surprise");
    }

    @Test
    void http2IsAutoUnlessSetAndOnlyAutoOnOrOff() {
        assertThat(yaml(FULL).proxy().http2()).isEqualTo(MirrorConfig.Http2.AUTO);
        assertThat(yaml(FULL + "proxy:\n  http2: \"on\"\n").proxy().http2()).isEqualTo(MirrorConfig.Http2.ON);
        assertThat(yaml(FULL + "proxy:\n  http2: OFF\n").proxy().http2()).isEqualTo(MirrorConfig.Http2.OFF);
        // A bare on/off is a YAML boolean.
        assertThat(yaml(FULL + "proxy:\n  http2: on\n").proxy().http2()).isEqualTo(MirrorConfig.Http2.ON);
        assertThat(yaml(FULL + "proxy:\n  http2: off\n").proxy().http2()).isEqualTo(MirrorConfig.Http2.OFF);
        assertThatThrownBy(() -> yaml(FULL + "proxy:\n  http2: h2c\n")).isInstanceOf(ConfigException.class)
                .hasMessageContaining("proxy.http2").hasMessageContaining("'h2c' is not one of auto, on, off");
    }

    @Test
    void passthroughNeedsNoTenants() {
        MirrorConfig c = yaml("upstreams:\n  - url: https://api.anthropic.com\nauth:\n  mode: passthrough\n");
        assertThat(c.auth().mode()).isEqualTo(AuthMode.PASSTHROUGH);
        assertThatThrownBy(() -> yaml("upstreams:\n  - url: https://api.anthropic.com\n"))
                .hasMessageContaining("tenants");
    }

    @Test
    void flatInitParamsBuildTheSameTree() {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("upstreams[0].url", "https://api.anthropic.com");
        p.put("upstreams[0].apiKey", "${TEST_KEY}");
        p.put("tenants[0].id", "a");
        p.put("tenants[0].keys", "plain:k1,plain:k2");
        p.put("tenants[0].limits.requestsPerMinute", "10");
        p.put("timeouts.idle", "90s");
        MirrorConfig c = ConfigLoader.fromProperties(p, Map.of("TEST_KEY", "sk-x"));
        assertThat(c.upstreams().get(0).apiKey()).isEqualTo("sk-x");
        assertThat(c.tenants().get(0).keys()).containsExactly("plain:k1", "plain:k2");
        assertThat(c.tenants().get(0).limits().requestsPerMinute()).isEqualTo(10);
        assertThat(c.timeouts().idle()).isEqualTo(Duration.ofSeconds(90));
        p.put("timeouts.bogus", "1s");
        assertThatThrownBy(() -> ConfigLoader.fromProperties(p, Map.of("TEST_KEY", "sk-x")))
                .hasMessageContaining("timeouts.bogus");
    }

    @Test
    void builderValidatesLikeTheFile() {
        MirrorConfig c = MirrorConfig.builder().upstream("p", "http://127.0.0.1:1", "k").tenant("t", "plain:x")
                .set("tenants[0].limits.maxConcurrent", 2).set("mountPath", "/claude").build();
        assertThat(c.tenants().get(0).limits().maxConcurrent()).isEqualTo(2);
        assertThatThrownBy(() -> MirrorConfig.builder().upstream("p", "ftp://x", "k").tenant("t", "plain:x").build())
                .hasMessageContaining("upstreams[0].url");
        assertThatThrownBy(() -> MirrorConfig.builder().upstream("p", "http://x", "k").tenant("t", "plain:x")
                .set("mountPath", "claude/").build()).hasMessageContaining("mountPath");
    }
}
