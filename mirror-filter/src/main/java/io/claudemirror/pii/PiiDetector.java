package io.claudemirror.pii;

/**
 * Finds one kind of personal data or secret in a piece of user text. The mirror ships detectors for Chinese
 * resident IDs, mainland mobile numbers, bank cards, unified social credit codes, e-mail addresses, IP addresses
 * and secrets; a host adds its own through {@link PiiScanner.Builder#add}.
 *
 * <p>A detector sees decoded text: JSON escapes are resolved, so a private key block has real newlines. It is
 * called concurrently and must keep no state between calls. It runs on every request, so it should skip most
 * characters with a cheap test before doing anything expensive, and should validate what it finds (checksums,
 * plausible ranges) rather than report every look-alike. An exception thrown here rejects the request (the
 * scrubber fails closed). Overlapping matches of several detectors are resolved by the scanner: the earliest
 * start wins, then the longest, then the detector added first.
 */
public interface PiiDetector {
    /**
     * The finding type counted in audit records and metrics, e.g. {@code cn_mobile}: lower-case letters, digits
     * and underscores, starting with a letter, unique within a scanner.
     */
    String type();

    /**
     * The label shown in place of a value: {@code [PHONE]} in {@code mask} mode, {@code [PHONE_k3r…]} in
     * {@code redact} mode. Upper-case letters, digits and underscores, starting with a letter.
     */
    String label();

    /** Reports every match in {@code text} through {@link PiiMatches#add(int, int)}. */
    void find(CharSequence text, PiiMatches matches);
}
