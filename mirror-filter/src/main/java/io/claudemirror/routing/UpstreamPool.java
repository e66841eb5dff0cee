package io.claudemirror.routing;

import io.claudemirror.config.MirrorConfig.Routing;
import io.claudemirror.config.MirrorConfig.Upstream;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.LongSupplier;
import java.util.random.RandomGenerator;

/**
 * The configured upstreams and the choice among them for each attempt (docs/routing.md):
 * <ol>
 * <li>a conversation's sticky upstream while it is usable (breaker not open, quota not spent, not tried yet in
 *     this request), unless it is a backup and a primary is usable again;</li>
 * <li>else, among usable primaries with a weight above 0: power of two choices — two drawn in proportion to
 *     their weight, the one with the lower peak-EWMA load score wins;</li>
 * <li>else the same among usable backups;</li>
 * <li>else the least bad: the untried upstream that becomes usable soonest (still better than refusing).</li>
 * </ol>
 * The proxy reports each attempt's outcome ({@link #onSuccess}, {@link #onFailure}, {@link #onQuota}) and its
 * span ({@link #begin}/{@link #end}) for the in-flight counts. Every time comes from the injected clocks.
 */
public final class UpstreamPool {
    /** One choice: the upstream index (-1: none left) and how it was reached. */
    public record Pick(int index, boolean sticky, boolean moved) {
        public static final Pick NONE = new Pick(-1, false, false);
    }

    private final List<UpstreamState> states;
    private final UpstreamState[] array;
    private final Routing routing;
    private final LongSupplier nanos;
    private final Clock wall;
    private final RandomGenerator random;
    private final StickyTable sticky;
    private volatile SharedRouting shared;

    /** Default routing settings, system clocks. */
    public UpstreamPool(List<Upstream> upstreams) {
        this(upstreams, Routing.DEFAULTS);
    }

    public UpstreamPool(List<Upstream> upstreams, Routing routing) {
        this(upstreams, routing, System::nanoTime, Clock.systemUTC(), ThreadLocalRandom.current());
    }

    /** For tests: every time from {@code nanos} and {@code wall}, every draw from {@code random}. */
    public UpstreamPool(List<Upstream> upstreams, Routing routing, LongSupplier nanos, Clock wall,
                        RandomGenerator random) {
        if (upstreams.size() > 63) {
            throw new IllegalArgumentException("at most 63 upstreams (one bit each in a tried mask)");
        }
        List<UpstreamState> s = new ArrayList<>(upstreams.size());
        for (int i = 0; i < upstreams.size(); i++) {
            s.add(new UpstreamState(upstreams.get(i), i, routing, nanos, wall));
        }
        this.states = Collections.unmodifiableList(s);
        this.array = s.toArray(new UpstreamState[0]);
        this.routing = routing;
        this.nanos = nanos;
        this.wall = wall;
        this.random = random;
        this.sticky = routing.sticky() ? new StickyTable(routing.stickyTtl().toNanos(), routing.stickyMaxEntries()) : null;
    }

    public List<UpstreamState> states() {
        return states;
    }

    public UpstreamState get(int index) {
        return array[index];
    }

    public int size() {
        return array.length;
    }

    public Routing routing() {
        return routing;
    }

    /** The pool's nanosecond clock, for deadlines that must agree with its own. */
    public long nanoTime() {
        return nanos.getAsLong();
    }

    /** The pool's wall clock. */
    public Clock wall() {
        return wall;
    }

    /** Conversations currently remembered. */
    public int stickyEntries() {
        return sticky == null ? 0 : sticky.size();
    }

    /** The next upstream for an attempt without a conversation key; -1 when every upstream was tried. */
    public int next(long triedMask) {
        return choose(null, triedMask).index();
    }

    /**
     * The upstream for the next attempt of a request whose conversation is {@code stickyKey} (null: none),
     * skipping those already tried (bit i of {@code triedMask} = upstream i). Takes the half-open trial of the
     * chosen upstream's breaker when it is due.
     */
    public Pick choose(String stickyKey, long triedMask) {
        long now = nanos.getAsLong();
        int bound = -1;
        if (sticky != null && stickyKey != null) {
            bound = stickyGet(stickyKey, now);
            if (bound >= 0 && bound < array.length && !tried(triedMask, bound) && array[bound].usable()
                    && !(array[bound].upstream().backup() && anyUsablePrimary(triedMask))
                    && array[bound].breaker().tryAcquire()) {
                stickyPut(stickyKey, bound, now);
                return new Pick(bound, true, false);
            }
        }
        int index = balanced(triedMask, false, now);
        if (index < 0) {
            index = balanced(triedMask, true, now);
        }
        if (index < 0) {
            index = leastBad(triedMask, now);
        }
        if (index < 0) {
            return Pick.NONE;
        }
        if (sticky != null && stickyKey != null) {
            // Moved (or new): the conversation stays on its new upstream from now on.
            stickyPut(stickyKey, index, now);
        }
        return new Pick(index, false, bound >= 0 && bound != index);
    }

    private int balanced(long triedMask, boolean backups, long now) {
        int[] candidates = new int[array.length];
        int n = 0;
        for (int i = 0; i < array.length; i++) {
            UpstreamState s = array[i];
            if (!tried(triedMask, i) && s.upstream().backup() == backups && s.upstream().weight() > 0 && s.usable()) {
                candidates[n++] = i;
            }
        }
        while (n > 0) {
            int slot = twoChoices(candidates, n, now);
            int index = candidates[slot];
            if (array[index].breaker().tryAcquire()) {
                return index;
            }
            // Another request took the half-open trial meanwhile.
            candidates[slot] = candidates[--n];
        }
        return -1;
    }

    /**
     * Power of two choices: two distinct candidates drawn by weight; the clearly lower load score wins. Scores
     * within {@link #COMPARABLE} of each other (or both under a millisecond) are a tie, and the tie goes to the
     * first draw, which is by weight: equally good upstreams share the traffic by weight instead of the one with
     * a few microseconds less settling all of it (with two upstreams both are always drawn, and a strict compare
     * would starve the other until its score decays).
     */
    private int twoChoices(int[] candidates, int n, long now) {
        if (n == 1) {
            return 0;
        }
        int a = drawByWeight(candidates, n, -1);
        int b = drawByWeight(candidates, n, a);
        double sa = array[candidates[a]].score(now);
        double sb = array[candidates[b]].score(now);
        double lo = Math.min(sa, sb);
        double hi = Math.max(sa, sb);
        if (hi <= lo * COMPARABLE || hi < TIE_FLOOR_NANOS) {
            return a;
        }
        return sb < sa ? b : a;
    }

    /** Scores within this factor of each other are a tie. */
    static final double COMPARABLE = 1.25;
    /** Below this score (one millisecond of expected wait) two upstreams are a tie whatever the ratio. */
    static final double TIE_FLOOR_NANOS = 1_000_000;

    private int drawByWeight(int[] candidates, int n, int exclude) {
        long total = 0;
        for (int i = 0; i < n; i++) {
            if (i != exclude) {
                total += array[candidates[i]].upstream().weight();
            }
        }
        long r = random.nextLong(total);
        for (int i = 0; i < n; i++) {
            if (i == exclude) {
                continue;
            }
            r -= array[candidates[i]].upstream().weight();
            if (r < 0) {
                return i;
            }
        }
        return exclude == 0 ? 1 : 0;
    }

    /** Nothing usable: the untried upstream usable soonest, primaries before backups on a tie. */
    private int leastBad(long triedMask, long now) {
        int best = -1;
        long bestAt = 0;
        for (int pass = 0; pass < 2; pass++) {
            for (int i = 0; i < array.length; i++) {
                UpstreamState s = array[i];
                if (tried(triedMask, i) || s.upstream().backup() != (pass == 1)) {
                    continue;
                }
                long at = s.availableAt(now);
                if (best < 0 || at - bestAt < 0) {
                    best = i;
                    bestAt = at;
                }
            }
        }
        return best;
    }

    private boolean anyUsablePrimary(long triedMask) {
        for (int i = 0; i < array.length; i++) {
            UpstreamState s = array[i];
            if (!tried(triedMask, i) && !s.upstream().backup() && s.upstream().weight() > 0 && s.usable()) {
                return true;
            }
        }
        return false;
    }

    /** Whether any upstream is left untried (a choice would return one); takes nothing, unlike {@link #choose}. */
    public boolean anyLeft(long triedMask) {
        long all = array.length == 64 ? -1L : (1L << array.length) - 1;
        return (triedMask & all) != all;
    }

    private static boolean tried(long mask, int i) {
        return (mask & (1L << i)) != 0;
    }

    /** An attempt to upstream {@code index} starts (counts toward its in-flight load). */
    public void begin(int index) {
        array[index].begin();
    }

    /** The attempt ended, however it ended. */
    public void end(int index) {
        array[index].end();
    }

    /** The upstream answered {@code ttfbNanos} after the request was sent (negative: no latency sample). */
    public void onSuccess(int index, long ttfbNanos) {
        UpstreamState s = array[index];
        s.recordSuccess();
        if (ttfbNanos >= 0) {
            s.recordLatency(ttfbNanos);
        }
    }

    /**
     * The attempt ended with {@code outcome}. Outcomes that do not count against health (a client error, a
     * quota answer) still prove the upstream alive; use {@link #onQuota} for the pause itself.
     */
    public void onFailure(int index, UpstreamOutcome outcome, String reason) {
        UpstreamState s = array[index];
        if (outcome.countsAgainstHealth()) {
            s.recordFailure(reason == null ? outcome.name().toLowerCase(java.util.Locale.ROOT) : reason);
        } else {
            s.recordSuccess();
        }
    }

    /** Same as {@link #onFailure(int, UpstreamOutcome, String)} with the outcome's own reason. */
    public void onFailure(int index, UpstreamOutcome outcome) {
        onFailure(index, outcome, null);
    }

    /**
     * The upstream's own quota is spent until {@code pauseUntilNanos} (pool clock, e.g. from
     * {@link QuotaHeaders#pauseUntil}); it rests until then unless nothing else is left.
     */
    public void onQuota(int index, long pauseUntilNanos) {
        long now = nanos.getAsLong();
        long until = pauseUntilNanos - now > 0 ? pauseUntilNanos : now + QuotaHeaders.DEFAULT_429_PAUSE.toNanos();
        array[index].pauseUntil(until);
        SharedRouting s = shared;
        if (s != null) {
            try {
                s.pauseUntil(array[index].upstream().name(), wall.millis() + (until - now) / 1_000_000);
            } catch (RuntimeException e) {
                // The other nodes learn of the quota from their own 429s.
            }
        }
    }

    /**
     * Cluster mode: shares pacing, quota pauses and stickiness with the other nodes through {@code state}.
     * Pauses other nodes published are pulled by {@link #pullSharedPauses()} (the caller schedules it), so
     * choosing an upstream never waits on the shared store for them.
     */
    public void share(SharedRouting state) {
        this.shared = state;
        for (UpstreamState s : array) {
            s.shared = state;
        }
    }

    /** Applies the pauses other nodes published (cluster mode); a failure leaves the local view as it is. */
    public void pullSharedPauses() {
        SharedRouting s = shared;
        if (s == null) {
            return;
        }
        long nowMillis = wall.millis();
        for (UpstreamState u : array) {
            long until = s.pausedUntil(u.upstream().name());
            if (until > nowMillis) {
                u.pauseUntil(nanos.getAsLong() + (until - nowMillis) * 1_000_000);
            }
        }
    }

    private int stickyGet(String key, long now) {
        SharedRouting s = shared;
        if (s != null) {
            try {
                String name = s.sticky(key);
                if (name == null) {
                    return -1;
                }
                for (UpstreamState u : array) {
                    if (u.upstream().name().equals(name)) {
                        return u.index();
                    }
                }
                return -1;
            } catch (RuntimeException e) {
                // Fall back to what this node remembers.
            }
        }
        return sticky.get(key, now);
    }

    private void stickyPut(String key, int index, long now) {
        sticky.put(key, index, now);
        SharedRouting s = shared;
        if (s != null) {
            try {
                s.stick(key, array[index].upstream().name(), routing.stickyTtl().toMillis());
            } catch (RuntimeException e) {
                // Kept locally; another node may pick a different upstream for this conversation meanwhile.
            }
        }
    }
}
