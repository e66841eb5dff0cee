package io.claudemirror.demo.tomcat;

import io.claudemirror.config.ConfigException;
import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/**
 * Turns a mirror configuration error into Spring Boot's short "APPLICATION FAILED TO START" report, naming the
 * key, instead of a page of stack trace. Registered in {@code META-INF/spring.factories}.
 */
public class MirrorConfigFailureAnalyzer extends AbstractFailureAnalyzer<ConfigException> {
    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, ConfigException cause) {
        return new FailureAnalysis(cause.getMessage(),
                "Fix the key '" + cause.key() + "' in the file given by --config (or MIRROR_CONFIG);"
                        + " mirror-jetty-demo/mirror.example.yaml documents every key.", cause);
    }
}
