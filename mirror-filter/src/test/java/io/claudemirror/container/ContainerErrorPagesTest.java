package io.claudemirror.container;

import static org.assertj.core.api.Assertions.assertThat;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import org.apache.catalina.Context;
import org.apache.catalina.connector.Connector;
import org.apache.catalina.startup.Tomcat;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.junit.jupiter.api.Test;

/**
 * The two error pages and the upload timeout on bare containers with the mirror mounted at {@code /claude}: a
 * servlet stands in for the mirror, another for the host, so only the container classes are under test.
 */
class ContainerErrorPagesTest {
    /** Answers 200 with the bytes of the body it read, blocking, as the mirror reads one. */
    public static final class Echo extends HttpServlet {
        @Override
        protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
            byte[] body = req.getInputStream().readAllBytes();
            resp.setContentType("text/plain");
            resp.setContentLength(String.valueOf(body.length).length());
            resp.getWriter().write(String.valueOf(body.length));
        }
    }

    static String exchange(int port, String request) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            return readAll(socket.getInputStream());
        }
    }

    static String readAll(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[4096];
        try {
            for (int n; (n = in.read(buf)) >= 0; ) {
                out.write(buf, 0, n);
            }
        } catch (java.net.SocketException e) {
            // a reset after the answer still leaves the answer
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    static String get(int port, String target) throws IOException {
        return exchange(port, "GET " + target + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    }

    static void assertEnvelope(String reply, String type) {
        assertThat(reply).startsWith("HTTP/1.1 4").containsIgnoringCase("content-type: application/json")
                .containsPattern("(?i)request-id: req_[0-9A-Za-z]{24}")
                .contains("{\"type\":\"error\",\"error\":{\"type\":\"" + type + "\"")
                .doesNotContainIgnoringCase("<html");
    }

    @Test
    void jettyAnswersItsRefusalsUnderTheMountWithTheEnvelopeAndCutsAStalledUpload() throws Exception {
        Server server = new Server();
        ServerConnector connector = new ServerConnector(server);
        connector.setHost("127.0.0.1");
        connector.setIdleTimeout(60_000);
        server.addConnector(connector);
        ServletContextHandler context = new ServletContextHandler("/");
        context.addServlet(Echo.class, "/claude/*");
        context.addServlet(Echo.class, "/");
        server.setHandler(new JettyUploadTimeout(context, Duration.ofMillis(500)));
        MirrorJettyErrorHandler.install(server, "/claude");
        server.start();
        try {
            int port = connector.getLocalPort();
            assertEnvelope(get(port, "/claude/v1/%2e%2e/x"), "invalid_request_error");
            assertEnvelope(get(port, "/claude//v1/models"), "invalid_request_error");
            assertEnvelope(get(port, "/claude/v1/%zz"), "invalid_request_error");
            assertEnvelope(exchange(port, "GET /claude/v1/models HTTP/1.1\r\nHost: x\r\nx-big: " + "a".repeat(20_000)
                    + "\r\nConnection: close\r\n\r\n"), "request_too_large");
            assertThat(get(port, "/other/%2e%2e/x")).startsWith("HTTP/1.1 400").containsIgnoringCase("<html");

            // A body that stops arriving: the read fails after the upload timeout, far inside the connector's 60 s.
            long start = System.nanoTime();
            String stalled = exchange(port, "POST /claude/v1/messages HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
            // The stand-in servlet lets the read failure escape: a 500, in the envelope since the path is the mount.
            assertThat(stalled).startsWith("HTTP/1.1 500").contains("\"api_error\"");

            // Once a body is in, the long idle timeout is back: the kept-alive connection outlives the upload timeout.
            try (Socket socket = new Socket("127.0.0.1", port)) {
                socket.setSoTimeout(10_000);
                socket.getOutputStream().write("POST /claude/v1/messages HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}"
                        .getBytes(StandardCharsets.ISO_8859_1));
                assertThat(readResponse(socket.getInputStream())).startsWith("HTTP/1.1 200").endsWith("\r\n\r\n2");
                Thread.sleep(1200); // the subject is time passing: longer than the upload timeout, with nothing pending
                socket.getOutputStream().write("GET /claude/v1/models HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                        .getBytes(StandardCharsets.ISO_8859_1));
                assertThat(readAll(socket.getInputStream())).startsWith("HTTP/1.1 200");
            }
        } finally {
            server.stop();
        }
    }

    /** One response with a Content-Length, leaving the connection open. */
    static String readResponse(InputStream in) throws IOException {
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                break;
            }
            head.append((char) b);
        }
        int length = 0;
        for (String line : head.toString().split("\r\n")) {
            if (line.toLowerCase().startsWith("content-length:")) {
                length = Integer.parseInt(line.substring(15).trim());
            }
        }
        return head + new String(in.readNBytes(length), StandardCharsets.UTF_8);
    }

    @Test
    void tomcatAnswersItsRefusalsUnderTheMountWithTheEnvelopeAndKeepsItsPageElsewhere() throws Exception {
        java.io.File base = Files.createTempDirectory("container-errors-tomcat").toFile();
        Tomcat tomcat = new Tomcat();
        tomcat.setBaseDir(base.getAbsolutePath());
        Connector connector = new Connector();
        connector.setPort(0);
        connector.setProperty("address", "127.0.0.1");
        tomcat.setConnector(connector);
        Context context = tomcat.addContext("", base.getAbsolutePath());
        Tomcat.addServlet(context, "mirror", new Echo());
        context.addServletMappingDecoded("/claude/*", "mirror");
        Tomcat.addServlet(context, "host", new Echo());
        context.addServletMappingDecoded("/host/*", "host");
        MirrorErrorReportValve.install(tomcat.getHost(), "/claude");
        tomcat.start();
        try {
            int port = connector.getLocalPort();
            assertEnvelope(get(port, "/claude/v1/%zz"), "invalid_request_error");
            assertEnvelope(get(port, "/claude/v1/%2e%2e/%2e%2e/host/x"), "invalid_request_error");
            assertEnvelope(exchange(port, "GET /claude/v1/models HTTP/1.1\r\nHost: x\r\nx-big: " + "a".repeat(20_000)
                    + "\r\nConnection: close\r\n\r\n"), "invalid_request_error");
            assertEnvelope(get(port, "/claude/v1/" + "b".repeat(20_000)), "invalid_request_error");
            // Outside the mount the host's page stays: HTML for an undecodable path and for a path nothing maps.
            assertThat(get(port, "/host/%zz")).startsWith("HTTP/1.1 400").containsIgnoringCase("<html");
            assertThat(get(port, "/nothing-here")).startsWith("HTTP/1.1 404").containsIgnoringCase("<html");
            assertThat(get(port, "/host/fine")).startsWith("HTTP/1.1 200");
        } finally {
            tomcat.stop();
            tomcat.destroy();
        }
    }
}
