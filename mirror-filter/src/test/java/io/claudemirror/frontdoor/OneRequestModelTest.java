package io.claudemirror.frontdoor;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Issue 7: the request model is the only place that reads the request line or the body stream. Every policy
 * decides on {@code exchange.api()} and the body the front door read; a second reader is how the bypasses
 * happened, so this test fails the build when one appears in the library's sources.
 */
class OneRequestModelTest {
    /** The calls only the request model may make, with the files allowed to make them. */
    static final Map<String, Set<String>> ALLOWED = Map.of(
            // The container error pages answer requests the container itself refused, before any mirror
            // component or policy ran; they only choose the envelope's form.
            "getMethod()", Set.of("exchange/Exchange.java", "container/MirrorJettyErrorHandler.java"),
            // The status servlet serves the operator's page and its JSON, outside the API mount.
            "getRequestURI()", Set.of("exchange/Exchange.java", "web/StatusServlet.java",
                    "container/MirrorErrorReportValve.java"),
            "getRequestURL()", Set.of(),
            "getPathInfo()", Set.of(),
            "getServletPath()", Set.of("web/StatusServlet.java"),
            "getInputStream()", Set.of("exchange/Exchange.java"),
            "getReader()", Set.of());

    @Test
    void onlyTheRequestModelReadsTheRequestLineOrTheBody() throws IOException {
        Path root = Path.of("src/main/java/io/claudemirror");
        Map<String, String> offenders = new TreeMap<>();
        Pattern call = Pattern.compile("\\.(getMethod|getRequestURI|getRequestURL|getPathInfo|getServletPath|"
                + "getInputStream|getReader)\\(\\)");
        try (Stream<Path> files = Files.walk(root)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                String rel = root.relativize(f).toString().replace('\\', '/');
                List<String> lines = Files.readAllLines(f);
                for (int i = 0; i < lines.size(); i++) {
                    String line = lines.get(i).trim();
                    if (line.startsWith("*") || line.startsWith("//")) {
                        continue;
                    }
                    Matcher m = call.matcher(line);
                    while (m.find()) {
                        String name = m.group(1) + "()";
                        if (!ALLOWED.get(name).contains(rel)) {
                            offenders.put(rel + ":" + (i + 1), line);
                        }
                    }
                }
            }
        }
        assertThat(offenders).as("request line or body read outside the request model").isEmpty();
    }
}
