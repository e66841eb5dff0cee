package io.claudemirror.demo;

/**
 * The text the demo prints once it listens: how to point curl, the official SDKs and Claude Code at the mirror.
 * With a user configuration the key is a placeholder, since the demo cannot know the tenants' plain keys.
 */
public final class Instructions {
    private static final String MODEL = "claude-sonnet-4-5";

    private Instructions() {
    }

    public static String text(String host, String baseUrl, MirrorSource source) {
        String key = source.embedded() ? MirrorSource.DEMO_KEY : "<your tenant key>";
        StringBuilder sb = new StringBuilder(2048);
        sb.append('\n').append("Claude Mirror demo on ").append(host).append('\n');
        sb.append("  host page   ").append(baseUrl).append("/\n");
        sb.append("  mirror      ").append(baseUrl).append(source.config().mountPath()).append("/v1\n");
        if (source.embedded()) {
            sb.append("  upstream    in-process fake Anthropic API at ").append(source.fakeUpstreamUrl())
                    .append(" (echoes your last user message; run with --config FILE for the real one)\n");
            sb.append("  tenant key  ").append(MirrorSource.DEMO_KEY).append("   PII mode: redact\n");
            sb.append("  config      ").append(source.file()).append(" (generated)\n");
        } else {
            sb.append("  config      ").append(source.file().toAbsolutePath()).append('\n');
        }
        String clientBase = baseUrl + source.config().mountPath();
        sb.append("\ncurl (streamed):\n  curl -N ").append(clientBase).append("/v1/messages -H 'x-api-key: ").append(key)
                .append("' -H 'anthropic-version: 2023-06-01' -H 'content-type: application/json' -d '{\"model\":\"")
                .append(MODEL).append("\",\"max_tokens\":256,\"stream\":true,")
                .append("\"messages\":[{\"role\":\"user\",\"content\":\"Hello, mirror\"}]}'\n");
        sb.append("\nOfficial SDKs (they read these variables):\n  export ANTHROPIC_BASE_URL=").append(clientBase)
                .append(" ANTHROPIC_API_KEY=").append(key).append('\n');
        sb.append("  Python:     python3 -c \"import anthropic; print(anthropic.Anthropic().messages.create(model='")
                .append(MODEL).append("', max_tokens=256, messages=[{'role':'user','content':'Hello'}]).content[0].text)\"\n");
        sb.append("  TypeScript: node -e \"new (require('@anthropic-ai/sdk').default)().messages.create({model:'")
                .append(MODEL).append("',max_tokens:256,messages:[{role:'user',content:'Hello'}]})")
                .append(".then(m=>console.log(m.content[0].text))\"\n");
        sb.append("  Java:       AnthropicOkHttpClient.fromEnv().messages().create(MessageCreateParams.builder().model(\"")
                .append(MODEL).append("\").maxTokens(256).addUserMessage(\"Hello\").build())\n");
        sb.append("\nClaude Code:\n  ANTHROPIC_BASE_URL=").append(clientBase).append(" ANTHROPIC_AUTH_TOKEN=").append(key)
                .append(" claude\n");
        String ops = baseUrl + source.config().mountPath();
        sb.append("\nOperations: ").append(ops).append("/health  ").append(ops).append("/metrics\n");
        return sb.toString();
    }
}
