package io.claudemirror.testkit;

import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.alpn.server.ALPNServerConnectionFactory;
import org.eclipse.jetty.http.HttpCompliance;
import org.eclipse.jetty.http2.server.HTTP2CServerConnectionFactory;
import org.eclipse.jetty.http2.server.HTTP2ServerConnectionFactory;
import org.eclipse.jetty.server.ConnectionFactory;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.ssl.SslContextFactory;

/** The fake's one connector, speaking what {@link FakeAnthropic.Protocols} asks for. */
final class FakeConnectors {
    private FakeConnectors() {
    }

    static ServerConnector create(Server server, FakeAnthropic.Protocols protocols, int port) {
        HttpConfiguration http = new HttpConfiguration();
        http.setSendServerVersion(false); // we send "server: cloudflare" ourselves
        http.setSendXPoweredBy(false);
        // Keep header names as the client spelled them, so the journal shows what the mirror really sent.
        http.setHttpCompliance(HttpCompliance.from("RFC9110,CASE_SENSITIVE_FIELD_NAME"));
        HttpConnectionFactory http1 = new HttpConnectionFactory(http);
        ConnectionFactory[] factories = switch (protocols) {
            case HTTP1 -> new ConnectionFactory[] {http1};
            // h2c with prior knowledge: Jetty's HTTP/1.1 connection hands a "PRI * HTTP/2.0" preface to h2c.
            case H2C -> new ConnectionFactory[] {http1, new HTTP2CServerConnectionFactory(http)};
            case TLS -> tls(http, new ALPNServerConnectionFactory("h2", "http/1.1"),
                    new HTTP2ServerConnectionFactory(http), http1);
            case TLS_HTTP1 -> tls(http, new ALPNServerConnectionFactory("http/1.1"), http1);
        };
        ServerConnector connector = new ServerConnector(server, 1, 1, factories);
        connector.setHost("127.0.0.1");
        connector.setPort(port);
        connector.setAcceptQueueSize(1024); // load generators open hundreds of connections at once
        connector.setIdleTimeout(TimeUnit.MINUTES.toMillis(30)); // hangs and stalls may be long; tests close us
        return connector;
    }

    private static ConnectionFactory[] tls(HttpConfiguration http, ALPNServerConnectionFactory alpn,
                                           ConnectionFactory... protocols) {
        http.addCustomizer(new SecureRequestCustomizer(false)); // the certificate is for an IP: no SNI host check
        SslContextFactory.Server ssl = new SslContextFactory.Server();
        SelfSignedCertificate certificate = SelfSignedCertificate.get();
        ssl.setKeyStorePath(certificate.keyStorePath.toString());
        ssl.setKeyStoreType("PKCS12");
        ssl.setKeyStorePassword(SelfSignedCertificate.PASSWORD);
        alpn.setDefaultProtocol("http/1.1"); // a client without ALPN gets HTTP/1.1
        ConnectionFactory[] all = new ConnectionFactory[protocols.length + 2];
        all[0] = new SslConnectionFactory(ssl, alpn.getProtocol());
        all[1] = alpn;
        System.arraycopy(protocols, 0, all, 2, protocols.length);
        return all;
    }
}
