package io.claudemirror.auth;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * Prints the {@code sha256:} form of a mirror key for the configuration file, so the key itself never has to
 * be written down on the server: {@code java -cp mirror-filter.jar io.claudemirror.auth.KeyTool [KEY]}.
 * Without an argument it reads the key from standard input; with {@code --new} it generates one.
 */
public final class KeyTool {
    private KeyTool() {
    }

    public static void main(String[] args) throws Exception {
        String key;
        if (args.length > 0 && args[0].equals("--new")) {
            byte[] random = new byte[24];
            new SecureRandom().nextBytes(random);
            key = "sk-mirror-" + Base64.getUrlEncoder().withoutPadding().encodeToString(random);
            System.out.println("key:    " + key);
        } else if (args.length > 0) {
            key = args[0];
        } else {
            key = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
        }
        System.out.println("config: " + TenantDirectory.hashedForm(key.trim()));
    }
}
