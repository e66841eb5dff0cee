package io.claudemirror.bench;

import io.claudemirror.pii.PiiScanner;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Throughput of the PII scan with every shipped detector, single-threaded (per core):
 * <ul>
 *   <li>{@code text}: 64 KiB (UTF-8) of mixed Chinese/English prose, code, logs and numbers with a few findings,
 *       as the one user message of a request: JSON-unescaping, decoding and all detectors;</li>
 *   <li>{@code cleanBody}: a ~50 KB Claude-Code-like {@code /v1/messages} body (system blocks, 12 tools,
 *       text, tool_use and tool_result blocks) without findings — the common request: JSON walk, decoding and
 *       detectors, as {@code detect} mode runs them;</li>
 *   <li>{@code bodyWithPii}: the same body with personal data in the last user turn.</li>
 * </ul>
 * MB/s = ops/s × the input size printed at setup. Run:
 * {@code java -jar mirror-benchmarks/target/benchmarks.jar PiiScan -f 1 -wi 3 -i 5}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class PiiScanBenchmark {
    private static final String[] PROSE = {
        "我们需要在下周一之前完成数据迁移，请确认旧系统的订单表（约 2300 万行）已经归档。",
        "The migration script reads orders in batches of 5000 and writes them to the new cluster; ",
        "日志显示 2024-05-06T12:30:45Z 出现了连接超时，重试三次后成功，耗时 1382 ms。",
        "    for (int i = 0; i < rows.size(); i++) { total += rows.get(i).amount(); }\n",
        "订单号 202405061230451234 的状态是已发货，物流单号 YT7781234567890，预计 3 天送达。",
        "Build 1.4.2 passed 1,284 tests in 93.5 s; coverage 81.7% (target 80%). See CHANGELOG.md.\n",
        "用户反馈页面加载慢，首屏时间从 1.2 秒涨到了 3.8 秒，怀疑是图片未压缩。",
        "export const retry = async (fn, n = 3) => {\n  try { return await fn(); } catch (e) { if (n) return retry(fn, n - 1); }\n};\n",
        "会议纪要：产品、研发、测试三方同意将发布日期推迟到 6 月 15 日，版本号定为 v2.3.0。",
        "INFO 2024-05-06 12:30:45,123 [pool-3-thread-7] c.e.OrderService - processed 4821 orders in 12 s\n",
    };
    private static final String[] PII = {
        "如有问题请联系王经理，手机 13800138000。",
        "Send the report to zhang.san@example.com before Friday.",
        "The staging database is at 10.20.30.40:5432.",
    };

    private PiiScanner scanner;
    private byte[] text;
    private byte[] cleanBody;
    private byte[] bodyWithPii;

    @Setup
    public void setUp() {
        scanner = PiiScanner.defaults();
        String prose = mixedText(64 * 1024, true);
        text = ("{\"messages\":[{\"role\":\"user\",\"content\":" + quote(prose) + "}]}").getBytes(StandardCharsets.UTF_8);
        cleanBody = claudeCodeBody(false);
        bodyWithPii = claudeCodeBody(true);
        System.out.printf("%ninput sizes: text %d bytes (%d chars of prose), cleanBody %d bytes, bodyWithPii %d bytes%n",
                text.length, prose.length(), cleanBody.length, bodyWithPii.length);
    }

    @Benchmark
    public Map<String, Integer> text() throws IOException {
        return scanner.findings(text, text.length);
    }

    @Benchmark
    public Map<String, Integer> cleanBody() throws IOException {
        return scanner.findings(cleanBody, cleanBody.length);
    }

    @Benchmark
    public Map<String, Integer> bodyWithPii() throws IOException {
        return scanner.findings(bodyWithPii, bodyWithPii.length);
    }

    /** Prose, code and logs cycling through {@link #PROSE}, with a finding every ~8 KB when {@code pii}. */
    static String mixedText(int utf8Bytes, boolean pii) {
        StringBuilder sb = new StringBuilder();
        int bytes = 0;
        int i = 0;
        int nextPii = 8192;
        while (bytes < utf8Bytes) {
            String s = PROSE[i++ % PROSE.length];
            if (pii && bytes >= nextPii) {
                s = PII[(nextPii / 8192) % PII.length];
                nextPii += 8192;
            }
            sb.append(s);
            bytes += s.getBytes(StandardCharsets.UTF_8).length;
        }
        return sb.toString();
    }

    static byte[] claudeCodeBody(boolean pii) {
        StringBuilder b = new StringBuilder(60_000);
        b.append("{\"model\":\"claude-sonnet-4-5-20250929\",\"max_tokens\":32000,\"stream\":true,");
        b.append("\"metadata\":{\"user_id\":\"{\\\"device_id\\\":\\\"3f786850e387550fdab836ed7e6dc881de23001b\\\",")
                .append("\\\"session_id\\\":\\\"6f1c2a54-1d4e-4c55-9f0e-2f1c7f3e9a10\\\"}\"},\"system\":[");
        for (int k = 0; k < 3; k++) {
            b.append(k == 0 ? "" : ",").append("{\"type\":\"text\",\"text\":").append(quote(mixedText(k == 1 ? 9000 : 300, false)))
                    .append(k == 2 ? ",\"cache_control\":{\"type\":\"ephemeral\"}}" : "}");
        }
        b.append("],\"tools\":[");
        for (int t = 0; t < 12; t++) {
            b.append(t == 0 ? "" : ",").append("{\"name\":\"Tool").append(t).append("\",\"description\":")
                    .append(quote(mixedText(1200, false))).append(",\"input_schema\":{\"type\":\"object\",\"properties\":")
                    .append("{\"path\":{\"type\":\"string\",\"description\":\"absolute path\"},\"limit\":{\"type\":\"integer\"}},")
                    .append("\"required\":[\"path\"]}}");
        }
        b.append("],\"messages\":[{\"role\":\"system\",\"content\":").append(quote(mixedText(600, false))).append("},");
        for (int turn = 0; turn < 6; turn++) {
            b.append("{\"role\":\"user\",\"content\":[{\"type\":\"tool_result\",\"tool_use_id\":\"toolu_0").append(turn)
                    .append("\",\"content\":").append(quote(mixedText(2500, false))).append("}]},");
            b.append("{\"role\":\"assistant\",\"content\":[{\"type\":\"text\",\"text\":").append(quote(mixedText(400, false)))
                    .append("},{\"type\":\"tool_use\",\"id\":\"toolu_1").append(turn).append("\",\"name\":\"Tool1\",\"input\":")
                    .append("{\"path\":\"/home/dev/project/src/main/java/App").append(turn).append(".java\",\"limit\":200}}]},");
        }
        String last = mixedText(1500, false) + (pii ? String.join(" ", PII) : "");
        b.append("{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":").append(quote(last)).append("}]}]}");
        return b.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static String quote(String s) {
        StringBuilder sb = new StringBuilder(s.length() + 16).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') {
                sb.append('\\').append(c);
            } else if (c == '\n') {
                sb.append("\\n");
            } else {
                sb.append(c);
            }
        }
        return sb.append('"').toString();
    }
}
