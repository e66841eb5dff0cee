package io.claudemirror.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;

/** What each {@link FakeAnthropic.Protocols} speaks, and the journal's record of the version used. */
class ProtocolsTest {

    static HttpResponse<String> get(HttpClient client, FakeAnthropic fake) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create(fake.baseUrl() + "/v1/models"))
                .header("anthropic-version", "2023-06-01").build(), HttpResponse.BodyHandlers.ofString());
    }

    static HttpClient http2Client(FakeAnthropic fake) throws Exception {
        HttpClient.Builder builder = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2);
        if (fake.baseUrl().startsWith("https:")) {
            TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            trust.init(fake.trustStore());
            SSLContext tls = SSLContext.getInstance("TLS");
            tls.init(null, trust.getTrustManagers(), null);
            builder.sslContext(tls);
        }
        return builder.build();
    }

    @Test
    void theDefaultSpeaksHttp11AndHasNoCertificate() throws Exception {
        try (FakeAnthropic fake = FakeAnthropic.start()) {
            assertThat(get(http2Client(fake), fake).statusCode()).isEqualTo(200);
            assertThat(fake.journal().last().protocol()).isEqualTo("HTTP/1.1");
            assertThatThrownBy(fake::trustStore).isInstanceOf(IllegalStateException.class);
        }
    }

    @Test
    void h2cServesHttp2BesideHttp11() throws Exception {
        try (FakeAnthropic fake = FakeAnthropic.start(FakeAnthropic.Protocols.H2C)) {
            HttpClient client = http2Client(fake); // the JDK asks with Upgrade: h2c, then stays on HTTP/2
            get(client, fake);
            assertThat(get(client, fake).version()).isEqualTo(HttpClient.Version.HTTP_2);
            assertThat(fake.journal().last().protocol()).isEqualTo("HTTP/2.0");
            assertThat(get(HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build(), fake).statusCode())
                    .isEqualTo(200);
            assertThat(fake.journal().last().protocol()).isEqualTo("HTTP/1.1");
        }
    }

    @Test
    void tlsNegotiatesH2ThroughAlpn() throws Exception {
        try (FakeAnthropic fake = FakeAnthropic.start(FakeAnthropic.Protocols.TLS)) {
            assertThat(fake.baseUrl()).startsWith("https://127.0.0.1:");
            assertThat(get(http2Client(fake), fake).statusCode()).isEqualTo(200);
            assertThat(fake.journal().last().protocol()).isEqualTo("HTTP/2.0");
        }
    }

    @Test
    void tlsHttp1OffersOnlyHttp11() throws Exception {
        try (FakeAnthropic fake = FakeAnthropic.start(FakeAnthropic.Protocols.TLS_HTTP1)) {
            HttpResponse<String> response = get(http2Client(fake), fake);
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.version()).isEqualTo(HttpClient.Version.HTTP_1_1);
            assertThat(fake.journal().last().protocol()).isEqualTo("HTTP/1.1");
        }
    }
}
