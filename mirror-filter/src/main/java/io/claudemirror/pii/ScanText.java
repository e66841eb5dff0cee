package io.claudemirror.pii;

/**
 * The decoded text of one JSON string, as a CharSequence over a reused char array. Built-in detectors read the
 * array directly; plug-in detectors see an ordinary CharSequence.
 */
final class ScanText implements CharSequence {
    private char[] chars;
    private int length;

    ScanText(char[] chars, int length) {
        this.chars = chars;
        this.length = length;
    }

    void set(char[] chars, int length) {
        this.chars = chars;
        this.length = length;
    }

    char[] array() {
        return chars;
    }

    /** The array behind {@code text}: no copy for a ScanText, a copy for any other CharSequence. */
    static char[] charsOf(CharSequence text) {
        if (text instanceof ScanText s) {
            return s.chars;
        }
        char[] c = new char[text.length()];
        for (int i = 0; i < c.length; i++) {
            c[i] = text.charAt(i);
        }
        return c;
    }

    @Override
    public int length() {
        return length;
    }

    @Override
    public char charAt(int index) {
        if (index >= length) {
            throw new IndexOutOfBoundsException(index);
        }
        return chars[index];
    }

    @Override
    public CharSequence subSequence(int start, int end) {
        return toString().subSequence(start, end);
    }

    @Override
    public String toString() {
        return new String(chars, 0, length);
    }
}
