package io.claudemirror.audit;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The hash chain of one audit file. Each record gets two last fields: {@code seq} (1, 2, … within the file) and
 * {@code prev}, the SHA-256 (hex) of the previous line's bytes, or for the first line of the SHA-256 of the file
 * name ({@code audit-2026-11-02.jsonl}). A changed line breaks the next line's {@code prev}; a removed or moved
 * line breaks {@code seq}. Appending to an existing file (after a restart) continues from its last line.
 *
 * <p>What it does not do: anyone who can write the file can recompute the whole chain, and the last line has no
 * successor to vouch for it. Copy {@link #head()} (logged when the writer closes a file) somewhere else to
 * anchor it.
 */
final class HashChain {
    private static final HexFormat HEX = HexFormat.of();
    /** What every chained line ends with before the hash: {@code ,"seq":N,"prev":"<64 hex>"}. */
    static final String PREV = ",\"prev\":\"";
    static final String SEQ = ",\"seq\":";

    private final MessageDigest sha256;
    private long seq;
    private String head;

    private HashChain(String genesis, long seq) {
        this.sha256 = digest();
        this.head = genesis;
        this.seq = seq;
    }

    /** The chain of {@code file}, positioned after its last line (or at the start when it is empty or absent). */
    static HashChain resume(Path file) throws IOException {
        String genesis = genesis(file.getFileName().toString());
        String last = Files.exists(file) ? lastLine(file) : null;
        if (last == null) {
            return new HashChain(genesis, 0);
        }
        HashChain c = new HashChain(genesis, seqOf(last));
        c.head = c.hash(last);
        return c;
    }

    static String genesis(String fileName) {
        return HEX.formatHex(digest().digest(fileName.getBytes(StandardCharsets.UTF_8)));
    }

    /** {@code line} (a JSON object) with {@code seq} and {@code prev} added; advances the chain. */
    String link(String line) {
        int close = line.lastIndexOf('}');
        String linked = line.substring(0, close) + SEQ + (++seq) + PREV + head + "\"}";
        head = hash(linked);
        return linked;
    }

    /** The hash of the last linked line. */
    String head() {
        return head;
    }

    String hash(String line) {
        return HEX.formatHex(sha256.digest(line.getBytes(StandardCharsets.UTF_8)));
    }

    static String hashOf(String line) {
        return HEX.formatHex(digest().digest(line.getBytes(StandardCharsets.UTF_8)));
    }

    /** The {@code seq} of a chained line, or 0 when it has none. */
    static long seqOf(String line) {
        int s = line.lastIndexOf(SEQ);
        int p = line.lastIndexOf(PREV);
        if (s < 0 || p < s) {
            return 0;
        }
        try {
            return Long.parseLong(line.substring(s + SEQ.length(), p));
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /** The {@code prev} of a chained line, or null. */
    static String prevOf(String line) {
        int p = line.lastIndexOf(PREV);
        int start = p + PREV.length();
        if (p < 0 || !line.endsWith("\"}") || line.length() - 2 - start != 64) {
            return null;
        }
        return line.substring(start, line.length() - 2);
    }

    /** The last non-empty line of a file, read backwards so a large file costs one small read. */
    static String lastLine(Path file) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r")) {
            long end = f.length();
            while (end > 0) {
                f.seek(end - 1);
                if (f.read() != '\n') {
                    break;
                }
                end--;
            }
            if (end == 0) {
                return null;
            }
            long start = end;
            byte[] one = new byte[1];
            while (start > 0) {
                f.seek(start - 1);
                f.readFully(one);
                if (one[0] == '\n') {
                    break;
                }
                start--;
            }
            byte[] bytes = new byte[(int) (end - start)];
            f.seek(start);
            f.readFully(bytes);
            return new String(bytes, StandardCharsets.UTF_8);
        }
    }

    private static MessageDigest digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }
}
