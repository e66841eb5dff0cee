package io.claudemirror.pii;

import java.io.IOException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.regex.Pattern;
import java.util.stream.IntStream;

/**
 * The set of detectors a mirror runs, and how placeholders are keyed. Immutable and shared by all requests.
 * {@link #defaults()} has every shipped detector; a host that adds its own builds one and makes it known in
 * one of three ways: passes it to {@link PiiFilter#PiiFilter(io.claudemirror.MirrorRuntime, PiiScanner)},
 * registers it as the runtime service ({@code runtime.service(PiiScanner.class, () -> scanner)}) before the
 * filter starts, or sets it as the ServletContext attribute {@link #ATTRIBUTE}.
 * <pre>{@code
 * PiiScanner scanner = PiiScanner.builder()
 *     .add(new EmployeeIdDetector())   // type "employee_id", label "EMPLOYEE_ID"
 *     .remove("ip")
 *     .build();
 * }</pre>
 */
public final class PiiScanner {
    /** ServletContext attribute under which a host may register its scanner. */
    public static final String ATTRIBUTE = PiiScanner.class.getName();

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Pattern TYPE = Pattern.compile("[a-z][a-z0-9_]{0,39}");
    private static final Pattern LABEL = Pattern.compile("[A-Z][A-Z0-9_]{0,29}");

    private final PiiDetector[] detectors;
    private final BuiltinScan builtins;
    private final int[] plugins;
    private final String[] masks;
    private final byte[] placeholderKey;
    private final boolean stablePlaceholders;
    /** Reusable scan state; a request that finds every slot taken allocates its own. */
    private final AtomicReferenceArray<RequestScrubber.Scratch> scratch = new AtomicReferenceArray<>(16);

    private PiiScanner(Builder b) {
        detectors = b.detectors.toArray(new PiiDetector[0]);
        builtins = BuiltinScan.of(detectors);
        plugins = IntStream.range(0, detectors.length)
                .filter(i -> !builtins.covers(detectors[i])).toArray();
        masks = new String[detectors.length];
        for (int i = 0; i < detectors.length; i++) {
            masks[i] = "[" + detectors[i].label() + "]";
        }
        placeholderKey = b.key != null ? b.key.clone() : randomKey();
        stablePlaceholders = b.stable;
    }

    /** A scanner with every shipped detector and a random placeholder key. */
    public static PiiScanner defaults() {
        return builder().build();
    }

    /** A builder that starts with every shipped detector. */
    public static Builder builder() {
        return new Builder();
    }

    /** The detectors, in priority order. */
    public List<PiiDetector> detectors() {
        return List.of(detectors);
    }

    /** Scans one text; for tools and tests (the request path scans the parser's buffer without copying). */
    public List<PiiFinding> scan(CharSequence text) {
        char[] chars = text.toString().toCharArray();
        PiiMatches m = new PiiMatches();
        scan(new ScanText(chars, chars.length), m);
        List<PiiFinding> out = new ArrayList<>(m.size());
        for (int i = 0; i < m.size(); i++) {
            PiiDetector d = detectors[m.detector(i)];
            out.add(new PiiFinding(d.type(), d.label(), m.start(i), m.end(i)));
        }
        return out;
    }

    /**
     * Counts the findings by type in the user content of a Messages request body, the way {@code detect} mode
     * does (for hosts that audit other paths, and for benchmarks). Without findings it allocates only the
     * parser and a little bookkeeping: the text is scanned in the parser's own buffer.
     *
     * @throws IOException if the body is not one well-formed JSON document
     */
    public Map<String, Integer> findings(byte[] body, int length) throws IOException {
        RequestScrubber.Result r = RequestScrubber.scrub(this, body, length, RequestScrubber.Edit.NONE, null);
        Map<String, Integer> counts = null;
        for (int d = 0; d < r.counts.length; d++) {
            if (r.counts[d] > 0) {
                if (counts == null) {
                    counts = new TreeMap<>();
                }
                counts.put(detectors[d].type(), r.counts[d]);
            }
        }
        return counts == null ? Map.of() : counts;
    }

    /** Runs every detector over {@code text}, leaving the resolved, ordered, non-overlapping matches in {@code m}. */
    void scan(ScanText text, PiiMatches m) {
        m.reset(text.length());
        if (builtins.any()) {
            builtins.run(text.array(), text.length(), m);
        }
        for (int d : plugins) {
            m.runningDetector(d);
            detectors[d].find(text, m);
        }
        if (m.size() > 0) {
            m.resolve(text.array());
        }
    }

    RequestScrubber.Scratch acquireScratch() {
        for (int i = 0; i < scratch.length(); i++) {
            RequestScrubber.Scratch s = scratch.getAndSet(i, null);
            if (s != null) {
                return s;
            }
        }
        return new RequestScrubber.Scratch();
    }

    void releaseScratch(RequestScrubber.Scratch s) {
        for (int i = 0; i < scratch.length(); i++) {
            if (scratch.get(i) == null && scratch.compareAndSet(i, null, s)) {
                return;
            }
        }
    }

    PiiDetector detector(int index) {
        return detectors[index];
    }

    int detectorCount() {
        return detectors.length;
    }

    /** {@code [LABEL]}, what {@code mask} mode puts in place of a value of detector {@code index}. */
    String mask(int index) {
        return masks[index];
    }

    /** A vault for one request; {@code scope} (the tenant) keeps placeholders of different tenants apart. */
    PlaceholderVault newVault(String scope) {
        return new PlaceholderVault(placeholderKey, stablePlaceholders ? "t:" + scope : "r:" + randomHex());
    }

    private static byte[] randomKey() {
        byte[] k = new byte[32];
        RANDOM.nextBytes(k);
        return k;
    }

    private static String randomHex() {
        byte[] b = new byte[12];
        RANDOM.nextBytes(b);
        StringBuilder sb = new StringBuilder(24);
        for (byte x : b) {
            sb.append(Character.forDigit((x >> 4) & 0xF, 16)).append(Character.forDigit(x & 0xF, 16));
        }
        return sb.toString();
    }

    /** Builds a {@link PiiScanner}; validates detector names so placeholders stay recognisable. */
    public static final class Builder {
        private final List<PiiDetector> detectors = new ArrayList<>(List.of(
                new SecretDetector(), new ResidentIdDetector(), new CreditCodeDetector(), new BankCardDetector(),
                new EmailDetector(), new MobileNumberDetector(), new IpAddressDetector()));
        private byte[] key;
        private boolean stable = true;

        private Builder() {
        }

        /** Adds a detector after the existing ones (it loses ties against them). */
        public Builder add(PiiDetector detector) {
            String type = detector.type();
            String label = detector.label();
            if (type == null || !TYPE.matcher(type).matches()) {
                throw new IllegalArgumentException("PII detector type '" + type + "' must match " + TYPE);
            }
            if (label == null || !LABEL.matcher(label).matches()) {
                throw new IllegalArgumentException("PII detector label '" + label + "' must match " + LABEL);
            }
            for (PiiDetector d : detectors) {
                if (d.type().equals(type)) {
                    throw new IllegalArgumentException("a PII detector of type '" + type + "' is already present");
                }
            }
            detectors.add(detector);
            return this;
        }

        /** Removes the detector of {@code type} (e.g. {@code "ip"}); unknown types are an error. */
        public Builder remove(String type) {
            if (!detectors.removeIf(d -> d.type().equals(type))) {
                throw new IllegalArgumentException("no PII detector of type '" + type + "'");
            }
            return this;
        }

        /**
         * The secret that keys redact-mode placeholders (at least 16 bytes). By default each scanner draws a
         * random one, so placeholders change when the mirror restarts; mirrors behind one load balancer share
         * a key so a conversation keeps its prompt-cache prefix whichever node serves it.
         */
        public Builder placeholderKey(byte[] secret) {
            if (secret == null || secret.length < 16) {
                throw new IllegalArgumentException("placeholder key must have at least 16 bytes");
            }
            key = secret.clone();
            return this;
        }

        /**
         * {@code true} (default): a value gets the same placeholder in every request of the same tenant, so the
         * conversation prefix stays byte-identical and prompt caching keeps working. {@code false}: every
         * request draws fresh placeholders (no linkability across requests, no prompt-cache hits on turns that
         * contain personal data).
         */
        public Builder stablePlaceholders(boolean stable) {
            this.stable = stable;
            return this;
        }

        public PiiScanner build() {
            return new PiiScanner(this);
        }
    }
}
