package io.claudemirror.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.claudemirror.config.MirrorConfig;
import io.claudemirror.support.Http;
import io.claudemirror.support.MirrorServer;
import io.claudemirror.support.MirrorServer.Container;
import io.claudemirror.testkit.FakeAnthropic;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterRegistration;
import java.net.http.HttpResponse;
import java.util.EnumSet;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** A host filter without async support in front of the mirror is named in a clear error, not a hang. */
class AsyncSupportTest {
    @ParameterizedTest
    @EnumSource(Container.class)
    void aNonAsyncHostFilterIsReportedInTheEnvelope(Container container) throws Exception {
        try (FakeAnthropic fake = FakeAnthropic.start();
             MirrorServer mirror = MirrorServer.start(container, MirrorConfig.builder()
                     .upstream("p", fake.baseUrl(), "sk-up").tenant("t", "plain:k").build(), ctx -> {
                         Filter legacy = (req, resp, chain) -> chain.doFilter(req, resp);
                         FilterRegistration.Dynamic reg = ctx.addFilter("legacy-host-filter", legacy);
                         reg.setAsyncSupported(false);
                         reg.addMappingForUrlPatterns(EnumSet.of(DispatcherType.REQUEST), false, "/*");
                     })) {
            HttpResponse<String> r = Http.send(Http.post(mirror.baseUrl() + "/v1/messages", "k", Http.messages("x", false)));
            assertThat(r.statusCode()).isEqualTo(500);
            assertThat(r.body()).contains("api_error").contains("not async-supported");
            assertThat(fake.journal().size()).isZero();
        }
    }
}
