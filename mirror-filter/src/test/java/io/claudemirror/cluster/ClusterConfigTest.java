package io.claudemirror.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.claudemirror.config.ConfigException;
import io.claudemirror.config.ConfigLoader;
import io.claudemirror.config.MirrorConfig;
import io.lettuce.core.RedisURI;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The {@code redis.*} keys: defaults, values, and errors that name the key. */
class ClusterConfigTest {
    static final String BASE = "upstreams:\n  - name: primary\n    url: http://127.0.0.1:9\n    apiKey: sk-ant-x\n"
            + "tenants:\n  - id: t\n    keys: [\"plain:sk-t\"]\n";

    static MirrorConfig yaml(String redis) {
        return ConfigLoader.fromYaml(BASE + "redis:\n" + redis);
    }

    @Test
    void defaultsAreFailOpenWithAShortTimeout() {
        MirrorConfig.Redis r = yaml("  uri: redis://127.0.0.1:6379\n").redis();
        assertThat(r.enabled()).isTrue();
        assertThat(r.failOpen()).isTrue();
        assertThat(r.timeout()).isEqualTo(Duration.ofMillis(200));
        assertThat(r.keyPrefix()).isEqualTo("claude-mirror:");
        assertThat(r.leaseTtl()).isEqualTo(Duration.ofSeconds(15));
        assertThat(r.healthInterval()).isEqualTo(Duration.ofSeconds(1));
        assertThat(ConfigLoader.fromYaml(BASE).redis().enabled()).isFalse();
    }

    @Test
    void everyKeyIsRead() {
        MirrorConfig.Redis r = yaml("  uri: redis-sentinel://10.0.0.1:26379,10.0.0.2:26379/0#mymaster\n"
                + "  failurePolicy: closed\n  timeout: 50ms\n  keyPrefix: 'prod:'\n  leaseTtl: 5s\n  healthInterval: 500ms\n")
                .redis();
        assertThat(r.failOpen()).isFalse();
        assertThat(r.timeout()).isEqualTo(Duration.ofMillis(50));
        assertThat(r.keyPrefix()).isEqualTo("prod:");
        assertThat(r.leaseTtl()).isEqualTo(Duration.ofSeconds(5));
        assertThat(r.healthInterval()).isEqualTo(Duration.ofMillis(500));
    }

    @Test
    void badValuesStopStartUpNamingTheKey() {
        assertThatThrownBy(() -> yaml("  uri: http://cache:6379\n")).isInstanceOf(ConfigException.class)
                .hasMessageContaining("redis.uri");
        assertThatThrownBy(() -> yaml("  uri: redis://h\n  failurePolicy: maybe\n")).hasMessageContaining("redis.failurePolicy");
        assertThatThrownBy(() -> yaml("  uri: redis://h\n  timeout: 30s\n")).hasMessageContaining("redis.timeout");
        assertThatThrownBy(() -> yaml("  uri: redis://h\n  keyPrefix: '{x}'\n")).hasMessageContaining("redis.keyPrefix");
        assertThatThrownBy(() -> yaml("  uri: redis://h\n  leaseTtl: 10ms\n")).hasMessageContaining("redis.leaseTtl");
        assertThatThrownBy(() -> yaml("  uri: redis://h\n  sentinel: yes\n")).hasMessageContaining("redis.sentinel");
    }

    @Test
    void aPasswordInTheUriNeverReachesTheMessageOrTheLog() {
        assertThatThrownBy(() -> yaml("  uri: http://user:s3cret@cache:6379\n")).hasMessageNotContaining("s3cret");
        assertThat(RedisStore.redacted("redis://:s3cret@cache:6379/0")).isEqualTo("redis://***@cache:6379/0");
    }

    @Test
    void aClusterUriListsItsSeedsWithTheirCredentials() {
        List<RedisURI> seeds = RedisStore.clusterSeeds("redis-cluster://:pw@10.0.0.1:7000,10.0.0.2:7001/", false);
        assertThat(seeds).extracting(RedisURI::getHost).containsExactly("10.0.0.1", "10.0.0.2");
        assertThat(seeds).extracting(RedisURI::getPort).containsExactly(7000, 7001);
        assertThat(new String(seeds.get(1).getPassword())).isEqualTo("pw");
        assertThat(RedisStore.clusterSeeds("rediss-cluster://h:7000", true).get(0).isSsl()).isTrue();
    }
}
