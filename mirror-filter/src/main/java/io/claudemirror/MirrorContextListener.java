package io.claudemirror;

import io.claudemirror.config.ConfigException;
import io.claudemirror.config.ConfigLoader;
import io.claudemirror.config.MirrorConfig;
import jakarta.servlet.ServletContext;
import jakarta.servlet.ServletContextEvent;
import jakarta.servlet.ServletContextListener;
import java.nio.file.Path;

/**
 * For web.xml hosts: loads the configuration and registers the {@link MirrorRuntime} on the context, so the
 * filters and servlets declared in web.xml share it. The YAML file is named by the context-param
 * {@value #CONFIG_PARAM}, else the system property {@code claude.mirror.config}, else the environment variable
 * {@code MIRROR_CONFIG}. A bad file stops the web application from starting, with a message naming the key.
 */
public class MirrorContextListener implements ServletContextListener {
    public static final String CONFIG_PARAM = "claude-mirror.config";

    @Override
    public void contextInitialized(ServletContextEvent sce) {
        ServletContext context = sce.getServletContext();
        if (context.getAttribute(MirrorRuntime.ATTRIBUTE) != null) {
            return;
        }
        String file = context.getInitParameter(CONFIG_PARAM);
        if (file == null || file.isBlank()) {
            file = System.getProperty("claude.mirror.config");
        }
        if (file == null || file.isBlank()) {
            file = System.getenv("MIRROR_CONFIG");
        }
        if (file == null || file.isBlank()) {
            throw new ConfigException(CONFIG_PARAM, "no configuration file: set the context-param " + CONFIG_PARAM
                    + ", the system property claude.mirror.config or the environment variable MIRROR_CONFIG");
        }
        MirrorConfig config = ConfigLoader.fromYaml(Path.of(file));
        context.setAttribute(MirrorRuntime.ATTRIBUTE, new MirrorRuntime(config));
    }

    @Override
    public void contextDestroyed(ServletContextEvent sce) {
        Object r = sce.getServletContext().getAttribute(MirrorRuntime.ATTRIBUTE);
        if (r instanceof MirrorRuntime runtime) {
            runtime.close();
        }
    }
}
