package io.claudemirror.pii;

/**
 * One match in a scanned text: its detector's type and label, and the char range {@code [start, end)}.
 * Returned by {@link PiiScanner#scan(CharSequence)}; the request path itself only ever counts findings.
 */
public record PiiFinding(String type, String label, int start, int end) {
}
