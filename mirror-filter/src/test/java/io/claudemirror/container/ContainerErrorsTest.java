package io.claudemirror.container;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Which paths are the mirror's, and what the container's statuses become. */
class ContainerErrorsTest {
    @ParameterizedTest
    @CsvSource({
        "/v1/messages, '', true",
        "/v1, '', true",
        "/v1?x=1, '', true",
        "//v1/messages, '', true",
        "/v1/%2e%2e/x, '', true",
        "/%76%31/models, '', true",
        "/v1;a=b/models, '', true",
        "/x/../v1/models, '', true",
        "/v1/%zz, '', true",
        "/v10/messages, '', false",
        "/v1x, '', false",
        "/, '', false",
        "/health, '', false",
        "/%zz, '', false",
        "/claude/v1/messages, /claude, true",
        "/claude/health, /claude, true",
        "/claude, /claude, true",
        "/claudette, /claude, false",
        "/v1/messages, /claude, false",
    })
    void underMount(String path, String mount, boolean expected) {
        assertThat(ContainerErrors.underMount(path, mount)).isEqualTo(expected);
    }

    @Test
    void aMissingPathIsNotUnderTheMount() {
        assertThat(ContainerErrors.underMount(null, "")).isFalse();
        assertThat(ContainerErrors.underMount("", "")).isFalse();
    }

    @ParameterizedTest
    @CsvSource({
        "/v1/%2e%2e/health, /health, '', true",
        "/v1/../x, /x, '', true",
        "/v1/./models, /v1/models, '', false",
        "//v1/messages, /v1/messages, '', false",
        "/x/../v1/models, /v1/models, '', false",
        "/claude/%2e%2e/admin, /admin, /claude, true",
        "/health, /health, '', false",
    })
    void escapesMount(String raw, String resolved, String mount, boolean expected) {
        assertThat(ContainerErrors.escapesMount(raw, resolved, mount)).isEqualTo(expected);
    }

    @Test
    void statusesMapOntoTheAnthropicTypes() {
        assertThat(ContainerErrors.type(400)).isEqualTo("invalid_request_error");
        assertThat(ContainerErrors.type(404)).isEqualTo("not_found_error");
        assertThat(ContainerErrors.type(408)).isEqualTo("timeout_error");
        assertThat(ContainerErrors.type(413)).isEqualTo("request_too_large");
        assertThat(ContainerErrors.type(414)).isEqualTo("request_too_large");
        assertThat(ContainerErrors.type(431)).isEqualTo("request_too_large");
        assertThat(ContainerErrors.type(500)).isEqualTo("api_error");
        assertThat(ContainerErrors.envelope(431, "req_x"))
                .isEqualTo("{\"type\":\"error\",\"error\":{\"type\":\"request_too_large\",\"message\":\""
                        + ContainerErrors.message(431) + "\"},\"request_id\":\"req_x\"}");
    }

    @Test
    void requestIdsHaveTheMirrorsForm() {
        assertThat(ContainerErrors.newRequestId()).matches("req_[0-9A-Za-z]{24}")
                .isNotEqualTo(ContainerErrors.newRequestId());
    }
}
