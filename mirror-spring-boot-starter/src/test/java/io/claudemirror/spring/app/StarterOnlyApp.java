package io.claudemirror.spring.app;

import org.springframework.boot.autoconfigure.SpringBootApplication;

/** A Boot application with nothing of the mirror but the starter on its class path and claude.mirror.* properties. */
@SpringBootApplication
public class StarterOnlyApp {
}
