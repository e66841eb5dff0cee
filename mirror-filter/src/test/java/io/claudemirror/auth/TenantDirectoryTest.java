package io.claudemirror.auth;

import static org.assertj.core.api.Assertions.assertThat;

import io.claudemirror.config.MirrorConfig;
import org.junit.jupiter.api.Test;

class TenantDirectoryTest {
    @Test
    void findsTenantsByHashedAndPlainKeysOnly() {
        String hashed = TenantDirectory.hashedForm("sk-team-b-secret");
        assertThat(hashed).startsWith("sha256:").hasSize(7 + 64);
        MirrorConfig c = MirrorConfig.builder().upstream("p", "http://127.0.0.1:1", "k")
                .tenant("a", "plain:sk-team-a").tenant("b", hashed.toUpperCase().replace("SHA256:", "sha256:")).build();
        TenantDirectory d = new TenantDirectory(c.tenants());
        assertThat(d.find("sk-team-a").id()).isEqualTo("a");
        assertThat(d.find("sk-team-b-secret").id()).isEqualTo("b");
        assertThat(d.find(hashed)).isNull();
        assertThat(d.find("sk-team-a ")).isNull();
        assertThat(d.find("")).isNull();
        assertThat(d.find(null)).isNull();
    }
}
