package io.claudemirror.ratelimit;

/**
 * What a granted messages request is finally charged, from how it ended. The rules lean to charging: a tenant
 * must not be able to drain the upstream by ending requests in ways that hide their usage.
 * <ul>
 *   <li>A cache hit consumed nothing upstream: refund.</li>
 *   <li>Input reported (JSON body, or a stream's {@code message_start}): that count is exact.</li>
 *   <li>Output reported and the response ended normally: the final count (a stream's last cumulative
 *       {@code message_delta}).</li>
 *   <li>Output reported but the response did not end normally (client disconnect, error mid-stream): the final
 *       count never arrived, so the reservation ({@code max_tokens}, the most that could have been generated)
 *       stays.</li>
 *   <li>Nothing reported and the response is an error status the upstream or the mirror answered with (429,
 *       529, 5xx, 4xx): nothing was generated, refund. Except a timeout (504, 408): generation may have run.</li>
 *   <li>Anything else (client disconnect before any usage, a 2xx without usage): keep the reservation.</li>
 * </ul>
 */
final class Settlement {
    private Settlement() {
    }

    static long input(boolean cacheHit, boolean clientAborted, int status, long reportedInput) {
        if (cacheHit) {
            return 0;
        }
        if (reportedInput >= 0) {
            return reportedInput;
        }
        return answeredWithError(clientAborted, status) ? 0 : TenantLimiter.KEEP_RESERVATION;
    }

    static long output(boolean cacheHit, boolean clientAborted, int status, String errorType, long reportedInput,
                       long reportedOutput) {
        if (cacheHit) {
            return 0;
        }
        if (reportedOutput >= 0) {
            boolean endedNormally = !clientAborted && status >= 200 && status < 300 && errorType == null;
            return endedNormally ? reportedOutput : TenantLimiter.KEEP_RESERVATION;
        }
        if (reportedInput < 0 && answeredWithError(clientAborted, status)) {
            return 0;
        }
        return TenantLimiter.KEEP_RESERVATION;
    }

    private static boolean answeredWithError(boolean clientAborted, int status) {
        return !clientAborted && status >= 400 && status != 408 && status != 504;
    }
}
