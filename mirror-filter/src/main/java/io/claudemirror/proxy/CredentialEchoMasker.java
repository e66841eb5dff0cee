package io.claudemirror.proxy;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Masks any echo of an upstream credential in an error body, so a message such as "invalid x-api-key
 * sk-ant-…" cannot reveal what the mirror holds. Applied to upstream error responses (small JSON bodies).
 */
final class CredentialEchoMasker extends BufferingTransformer {
    private final List<String> secrets;

    CredentialEchoMasker(List<String> secrets) {
        super(1024 * 1024);
        this.secrets = secrets;
    }

    @Override
    byte[] rewrite(byte[] body, int length) {
        String text = new String(body, 0, length, StandardCharsets.UTF_8);
        String masked = text;
        for (String s : secrets) {
            if (s.length() >= 8 && masked.contains(s)) {
                masked = masked.replace(s, "[REDACTED]");
            }
        }
        return masked.getBytes(StandardCharsets.UTF_8);
    }
}
