package io.claudemirror.routing;

import io.claudemirror.config.MirrorConfig.Upstream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The configured upstreams in order of preference. A request goes to the first healthy primary it has not
 * tried yet; backups are used only when no primary is healthy or every primary was tried.
 */
public final class UpstreamPool {
    private final List<UpstreamState> states;

    public UpstreamPool(List<Upstream> upstreams) {
        List<UpstreamState> s = new ArrayList<>(upstreams.size());
        for (Upstream u : upstreams) {
            s.add(new UpstreamState(u));
        }
        this.states = Collections.unmodifiableList(s);
    }

    public List<UpstreamState> states() {
        return states;
    }

    /**
     * The next upstream for an attempt, skipping those already tried (bit i of {@code triedMask} = state i).
     * Returns the index, or -1 when nothing is left.
     */
    public int next(long triedMask) {
        int fallback = -1;
        boolean anyPrimaryLeft = false;
        for (int i = 0; i < states.size(); i++) {
            UpstreamState s = states.get(i);
            if ((triedMask & (1L << i)) != 0 || s.upstream().backup()) {
                continue;
            }
            anyPrimaryLeft = true;
            if (s.healthy()) {
                return i;
            }
            if (fallback < 0) {
                fallback = i;
            }
        }
        for (int i = 0; i < states.size(); i++) {
            UpstreamState s = states.get(i);
            if ((triedMask & (1L << i)) == 0 && s.upstream().backup() && s.healthy()) {
                return i;
            }
        }
        // Nothing healthy: an unhealthy primary is still better than refusing outright.
        if (anyPrimaryLeft) {
            return fallback;
        }
        for (int i = 0; i < states.size(); i++) {
            if ((triedMask & (1L << i)) == 0) {
                return i;
            }
        }
        return -1;
    }

    public UpstreamState get(int index) {
        return states.get(index);
    }

    public int size() {
        return states.size();
    }
}
