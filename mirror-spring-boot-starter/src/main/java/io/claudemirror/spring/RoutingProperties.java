package io.claudemirror.spring;

import java.time.Duration;

/**
 * {@code claude.mirror.routing.*}: how the mirror chooses among upstreams (docs/routing.md), the YAML key
 * {@code routing}. Unset values keep the mirror's defaults.
 */
public class RoutingProperties {
    private final Breaker breaker = new Breaker();
    private final Probe probe = new Probe();
    private final Sticky sticky = new Sticky();
    /** Time constant of the peak-EWMA latency score (default 10s). */
    private Duration latencyDecay;
    /** A request that would wait longer for its upstream's pacing slot is refused (default 30s). */
    private Duration maxPacingWait;

    public Breaker getBreaker() { return breaker; }
    public Probe getProbe() { return probe; }
    public Sticky getSticky() { return sticky; }
    public Duration getLatencyDecay() { return latencyDecay; }
    public void setLatencyDecay(Duration v) { this.latencyDecay = v; }
    public Duration getMaxPacingWait() { return maxPacingWait; }
    public void setMaxPacingWait(Duration v) { this.maxPacingWait = v; }

    /** The circuit breaker of each upstream. */
    public static class Breaker {
        /** Failures in a row that open the breaker (default 5). */
        private Integer consecutiveFailures;
        /** Share of failed requests in the window that opens it, 0-100; 0 disables the rate (default 50). */
        private Integer errorRatePercent;
        /** Requests in the window before the rate counts (default 20). */
        private Integer minRequests;
        /** The window of the error rate (default 30s). */
        private Duration window;
        /** How long an open breaker stays open (default 10s), doubled at each failed trial. */
        private Duration cooldown;
        /** Upper bound of the doubled cooldown (default 5m). */
        private Duration maxCooldown;

        public Integer getConsecutiveFailures() { return consecutiveFailures; }
        public void setConsecutiveFailures(Integer v) { this.consecutiveFailures = v; }
        public Integer getErrorRatePercent() { return errorRatePercent; }
        public void setErrorRatePercent(Integer v) { this.errorRatePercent = v; }
        public Integer getMinRequests() { return minRequests; }
        public void setMinRequests(Integer v) { this.minRequests = v; }
        public Duration getWindow() { return window; }
        public void setWindow(Duration v) { this.window = v; }
        public Duration getCooldown() { return cooldown; }
        public void setCooldown(Duration v) { this.cooldown = v; }
        public Duration getMaxCooldown() { return maxCooldown; }
        public void setMaxCooldown(Duration v) { this.maxCooldown = v; }
    }

    /** Active health probes ({@code GET /v1/models}). */
    public static class Probe {
        /** Between two probes of an upstream (default 0: off). */
        private Duration interval;
        /** Longest wait for a probe's answer (default 5s). */
        private Duration timeout;

        public Duration getInterval() { return interval; }
        public void setInterval(Duration v) { this.interval = v; }
        public Duration getTimeout() { return timeout; }
        public void setTimeout(Duration v) { this.timeout = v; }
    }

    /** Conversations that stay on one upstream (prompt caching lives there). */
    public static class Sticky {
        /** Whether conversations stick (default true). */
        private Boolean enabled;
        /** How long a conversation is remembered (default 1h). */
        private Duration ttl;
        /** Conversations remembered at most (default 10000). */
        private Integer maxEntries;

        public Boolean getEnabled() { return enabled; }
        public void setEnabled(Boolean v) { this.enabled = v; }
        public Duration getTtl() { return ttl; }
        public void setTtl(Duration v) { this.ttl = v; }
        public Integer getMaxEntries() { return maxEntries; }
        public void setMaxEntries(Integer v) { this.maxEntries = v; }
    }
}
