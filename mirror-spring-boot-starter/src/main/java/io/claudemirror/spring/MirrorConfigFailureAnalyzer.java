package io.claudemirror.spring;

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
                "Fix the key '" + cause.key() + "': the property claude.mirror." + cause.key()
                        + ", or the key in the YAML file named by claude.mirror.config (docs/configuration.md"
                        + " documents every key).", cause);
    }
}
