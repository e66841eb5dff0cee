package io.claudemirror.routing;

/**
 * Peak-EWMA of time to first byte, as in Finagle and Linkerd: a sample above the average replaces it at once (a
 * slowdown is believed immediately), a sample below pulls it down gradually, and without samples the cost decays
 * toward zero with time constant {@code tau}, so an upstream that was slow once gets tried again after a while.
 */
final class PeakEwma {
    /** Cost of an upstream without any sample that already has requests in flight: worse than any real sample. */
    static final double PENALTY = 1e12;

    private final double tauNanos;
    private double cost;
    private long stamp;
    private boolean sampled;

    PeakEwma(long tauNanos) {
        this.tauNanos = Math.max(1, tauNanos);
    }

    synchronized void observe(long sampleNanos, long now) {
        double rtt = Math.max(0, sampleNanos);
        if (!sampled) {
            cost = rtt;
            sampled = true;
        } else {
            double w = Math.exp(-Math.max(0, now - stamp) / tauNanos);
            double decayed = cost * w;
            cost = rtt > decayed ? rtt : decayed + rtt * (1 - w);
        }
        stamp = now;
    }

    /** The decayed average at {@code now}, in nanoseconds; 0 before the first sample. */
    synchronized double value(long now) {
        if (!sampled) {
            return 0;
        }
        return cost * Math.exp(-Math.max(0, now - stamp) / tauNanos);
    }

    /** The load score: expected wait for one more request given {@code inFlight} requests already running. */
    double score(long now, int inFlight) {
        double v = value(now);
        if (v == 0 && inFlight > 0) {
            return PENALTY + inFlight;
        }
        return v * (inFlight + 1);
    }
}
