package io.claudemirror.pii;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Issue 7, probe 12: a redacted value echoed in a stream whose deltas are a few characters each must come back
 * whole, whatever the split. Every placeholder label the shipped detectors use, every delta size from 1 char
 * up, every chunking of the bytes from 1 byte up: the client's text equals the model's text with the values put
 * back, and no character is lost or doubled.
 */
class SplitPlaceholderRestoreTest {
    private static final String[][] VALUES = {
            {"cn_resident_id", "RESIDENT_ID", "11010519491231002X"},
            {"cn_mobile", "PHONE", "13800138000"},
            {"bank_card", "BANK_CARD", "6222021234567890128"},
            {"cn_uscc", "USCC", "91350100M000100Y43"},
            {"email", "EMAIL", "zhang.san@example.com"},
            {"ip_address", "IP", "10.1.2.3"},
            {"secret", "SECRET", "sk-ant-api03-abcdefghijklmnop"},
    };

    @Test
    void aPlaceholderSplitOverDeltasOfEverySizeIsRestoredWhole() {
        PiiScanner scanner = PiiScanner.defaults();
        for (String[] v : VALUES) {
            PlaceholderVault vault = scanner.newVault("t1");
            // Every other label in the same vault too: tokens of different lengths side by side (the bug was a
            // shorter token's bounds when a longer one was half received).
            for (String[] other : VALUES) {
                if (other != v) {
                    vault.placeholder(other[0], other[1], other[2] + "0");
                }
            }
            String token = vault.placeholder(v[0], v[1], v[2]);
            String model = "卡号 " + token + "，请核对。[" + v[1] + "_] and " + token + "]";
            String expected = "卡号 " + v[2] + "，请核对。[" + v[1] + "_] and " + v[2] + "]";
            for (int size = 1; size <= token.length() + 2; size++) {
                byte[] stream = new Sse().start().text(0, model, size).end().build().getBytes(StandardCharsets.UTF_8);
                for (int chunk : new int[] {1, 2, 3, 7, 64, stream.length}) {
                    byte[] out = Sse.run(new RestoringTransformer(vault, "req_t"), stream, chunk);
                    List<Sse.Event> events = Sse.parse(out);
                    assertThat(Sse.text(events, 0)).as("%s, deltas of %d chars, chunks of %d bytes", v[1], size, chunk)
                            .isEqualTo(expected);
                }
            }
        }
    }

    @Test
    void aPlaceholderSplitInsideToolInputIsRestoredWhole() throws Exception {
        PiiScanner scanner = PiiScanner.defaults();
        PlaceholderVault vault = scanner.newVault("t1");
        String token = vault.placeholder("bank_card", "BANK_CARD", "6222021234567890128");
        String input = "{\"card\":\"" + token + "\",\"note\":\"卡号 " + token + "\"}";
        for (int size = 1; size <= token.length() + 2; size++) {
            byte[] stream = new Sse().start().toolUse(0, input, size).end().build().getBytes(StandardCharsets.UTF_8);
            for (int chunk : new int[] {1, 5, stream.length}) {
                List<Sse.Event> events = Sse.parse(Sse.run(new RestoringTransformer(vault, "req_t"), stream, chunk));
                assertThat(Sse.input(events, 0).path("card").asText()).as("deltas of %d, chunks of %d", size, chunk)
                        .isEqualTo("6222021234567890128");
                assertThat(Sse.input(events, 0).path("note").asText()).isEqualTo("卡号 6222021234567890128");
            }
        }
    }
}
