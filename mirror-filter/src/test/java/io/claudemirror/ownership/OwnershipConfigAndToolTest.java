package io.claudemirror.ownership;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.claudemirror.config.ConfigException;
import io.claudemirror.config.ConfigLoader;
import io.claudemirror.config.MirrorConfig;
import io.claudemirror.exchange.ApiRequest;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The keys this work adds ({@code state.dir}, {@code tenants[].upstreamKeys}) and the operator's tool. */
class OwnershipConfigAndToolTest {
    static final String BASE = "upstreams:\n  - name: primary\n    url: http://127.0.0.1:1\n    apiKey: sk-shared\n"
            + "  - name: relay\n    url: http://127.0.0.1:2\n    apiKey: sk-relay\n";

    @TempDir
    Path dir;

    static MirrorConfig yaml(String text, Map<String, String> env) {
        return ConfigLoader.fromYaml(new StringReader(text), env);
    }

    @Test
    void stateDirDefaultsToMirrorStateAndUpstreamKeysComeFromTheEnvironment() {
        MirrorConfig c = yaml(BASE + "tenants:\n  - id: a\n    keys: [\"plain:k1\"]\n    upstreamKeys:\n"
                + "      primary: ${TEAM_A_KEY}\n      relay: sk-a-relay\n  - id: b\n    keys: [\"plain:k2\"]\n",
                Map.of("TEAM_A_KEY", "sk-a-primary"));
        assertThat(c.state().dir()).isEqualTo("./mirror-state");
        assertThat(c.tenant("a").upstreamKey("primary")).isEqualTo("sk-a-primary");
        assertThat(c.tenant("a").upstreamKey("relay")).isEqualTo("sk-a-relay");
        assertThat(c.tenant("a").upstreamScoped(c.upstreams())).isTrue();
        assertThat(c.tenant("b").upstreamKey("primary")).isNull();
        assertThat(c.tenant("b").upstreamScoped(c.upstreams())).isFalse();
        assertThat(c.summary()).contains("state.dir=./mirror-state").doesNotContain("sk-a-");
        assertThat(yaml(BASE + "auth:\n  mode: passthrough\nstate:\n  dir: /var/lib/mirror\n", Map.of()).state().dir())
                .isEqualTo("/var/lib/mirror");
    }

    @Test
    void aKeyForOnlySomeUpstreamsLeavesTheTenantMirrorScoped() {
        MirrorConfig c = yaml(BASE + "tenants:\n  - id: a\n    keys: [\"plain:k1\"]\n    upstreamKeys: {primary: sk-a}\n",
                Map.of());
        assertThat(c.tenant("a").upstreamScoped(c.upstreams())).isFalse();
    }

    @Test
    void badValuesStopStartUpNamingTheKey() {
        assertThatThrownBy(() -> yaml(BASE + "tenants:\n  - id: a\n    keys: [\"plain:k1\"]\n    upstreamKeys:\n"
                + "      primry: sk-a\n", Map.of()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("tenants[0].upstreamKeys.primry");
        assertThatThrownBy(() -> yaml(BASE + "tenants:\n  - id: a\n    keys: [\"plain:k1\"]\n    upstreamKeys:\n"
                + "      primary: \"\"\n", Map.of()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("tenants[0].upstreamKeys.primary");
        assertThatThrownBy(() -> yaml(BASE + "tenants:\n  - id: a\n    keys: [\"plain:k1\"]\n    upstreamKeys: sk-a\n",
                Map.of())).isInstanceOf(ConfigException.class).hasMessageContaining("tenants[0].upstreamKeys");
        assertThatThrownBy(() -> yaml(BASE + "auth:\n  mode: passthrough\nstate:\n  dir: \"\"\n", Map.of()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("state.dir");
        assertThatThrownBy(() -> yaml(BASE + "auth:\n  mode: passthrough\nstate:\n  path: x\n", Map.of()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("state.path");
    }

    String tool(int expectedStatus, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = OwnershipTool.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        assertThat(status).as(err.toString(StandardCharsets.UTF_8)).isEqualTo(expectedStatus);
        return out.toString(StandardCharsets.UTF_8) + err.toString(StandardCharsets.UTF_8);
    }

    @Test
    void theToolListsAssignsAndRemoves() {
        try (OwnershipIndex index = MvStoreOwnershipIndex.open(dir)) {
            index.record("team-a", ApiRequest.FILE, "file_1", null);
        }
        String d = dir.toString();
        assertThat(tool(0, "--state-dir", d, "list")).contains("file\tfile_1\tteam-a\t").contains("\tnever");
        assertThat(tool(0, "--state-dir", d, "assign", "file_1", "team-b")).contains("team-a -> team-b");
        assertThat(tool(0, "--state-dir", d, "assign", "msgbatch_9", "team-b")).contains("batch msgbatch_9");
        assertThat(tool(0, "--state-dir", d, "list", "team-a")).doesNotContain("file_1");
        assertThat(tool(0, "--state-dir", d, "list", "team-b")).contains("file_1").contains("msgbatch_9");
        assertThat(tool(0, "--state-dir", d, "remove", "file_1")).contains("removed");
        assertThat(tool(1, "--state-dir", d, "remove", "file_1")).contains("no record");
        assertThat(tool(2, "--state-dir", d, "rename", "x")).contains("usage");
        assertThat(tool(2, "list")).contains("usage");
        try (OwnershipIndex index = MvStoreOwnershipIndex.open(dir)) {
            assertThat(index.owner(ApiRequest.BATCH, "msgbatch_9")).isEqualTo("team-b");
            assertThat(index.owner(ApiRequest.FILE, "file_1")).isNull();
        }
    }
}
