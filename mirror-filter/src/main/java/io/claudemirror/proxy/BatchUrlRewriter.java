package io.claudemirror.proxy;

import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Points every {@code results_url} of a batch object (or a page of them) at the mirror, so an SDK fetching
 * results follows the absolute URL back through the mirror instead of going around it with a mirror key.
 */
final class BatchUrlRewriter extends BufferingTransformer {
    private static final Pattern RESULTS_URL = Pattern.compile("(\"results_url\"\\s*:\\s*\")([^\"]*?)(/v1/[^\"]*\")");

    private final String mirrorBase;

    /** {@code mirrorBase}: scheme, host, port, context and mount path as the client reached the mirror. */
    BatchUrlRewriter(String mirrorBase) {
        super(16 * 1024 * 1024);
        this.mirrorBase = mirrorBase;
    }

    @Override
    byte[] rewrite(byte[] body, int length) {
        String text = new String(body, 0, length, StandardCharsets.UTF_8);
        if (!text.contains("\"results_url\"")) {
            return text.getBytes(StandardCharsets.UTF_8);
        }
        Matcher m = RESULTS_URL.matcher(text.replace("\\/", "/"));
        StringBuilder out = new StringBuilder(length + 64);
        while (m.find()) {
            m.appendReplacement(out, Matcher.quoteReplacement(m.group(1) + mirrorBase + m.group(3)));
        }
        m.appendTail(out);
        return out.toString().getBytes(StandardCharsets.UTF_8);
    }
}
