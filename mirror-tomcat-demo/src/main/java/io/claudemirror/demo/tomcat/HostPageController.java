package io.claudemirror.demo.tomcat;

import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/** The host application's own page at {@code /}: it stands for the existing app the mirror is mounted into. */
@RestController
public class HostPageController {
    static final String PAGE = """
            <!doctype html>
            <html lang="en">
            <head><meta charset="utf-8"><title>Acme host app</title></head>
            <body>
            <h1>Acme host app — the Claude mirror lives at /v1</h1>
            <p>This page is served by the host's own Spring MVC controller. The mirror was added to the same
            Tomcat by the <code>mirror-spring-boot-starter</code> dependency: point an Anthropic SDK or Claude Code at
            this server's base URL.</p>
            <ul>
              <li><a href="health">/health</a> — the mirror's upstream health (JSON)</li>
              <li><a href="metrics">/metrics</a> — metrics (Prometheus text)</li>
              <li><a href="mirror/status">/mirror/status</a> — the mirror's status page (admin)</li>
            </ul>
            </body>
            </html>
            """;

    @GetMapping(value = "/", produces = MediaType.TEXT_HTML_VALUE)
    public String home() {
        return PAGE;
    }
}
