package io.claudemirror.pii;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * Restores placeholders in a Messages stream on the raw SSE bytes, event by event. Each complete event is
 * released as soon as it has arrived; only an incomplete event waits for its next chunk. In a
 * {@code text_delta} the value goes in JSON-escaped; in an {@code input_json_delta} the placeholder sits in a
 * string of the tool's JSON inside the {@code partial_json} string, so the value is escaped twice.
 *
 * <p>A model streams text in small pieces, so a placeholder can be split across deltas: the possible start of
 * a placeholder at the end of a delta ({@code "[PHO"}) is cut from that delta and carried into the next delta
 * of the same block. If the block ends (or anything but a ping comes) first, the carried bytes are sent as a
 * delta of their own, so no text is ever lost. Thinking deltas are left alone: their signature covers them.
 */
final class SseRestorer {
    private static final byte[] DELTA_TYPE = "content_block_delta".getBytes(StandardCharsets.US_ASCII);

    private final PlaceholderVault vault;
    private final ByteSink pending = new ByteSink(4096);
    private final ByteSink out = new ByteSink(4096);
    private final ByteSink work = new ByteSink(256);
    private final ByteSink text = new ByteSink(256);
    private final ByteSink carry = new ByteSink(64);
    private int scanFrom;
    private int carryIndex = -1;
    private int carryTimes;

    // Fields of the event being parsed.
    private String type;
    private String deltaType;
    private int index;
    private int valueFrom;
    private int valueTo;

    SseRestorer(PlaceholderVault vault) {
        this.vault = vault;
    }

    /** Takes a chunk; returns the bytes of every event it completed, restored. */
    byte[] accept(byte[] b, int off, int len) {
        pending.put(b, off, len);
        out.clear();
        byte[] p = pending.array();
        int size = pending.size();
        int start = 0;
        for (int k = Math.max(0, scanFrom); k < size; k++) {
            int end = boundary(p, k, size);
            if (end > 0) {
                event(p, start, end);
                start = end;
                k = end - 1;
            }
        }
        pending.discard(start);
        // A boundary can straddle chunks ("\n" | "\n"): look again at the last few bytes next time.
        scanFrom = Math.max(0, pending.size() - 3);
        return out.toArray();
    }

    /** At the end of the stream: whatever is pending, and the carry as a delta of its own. */
    byte[] finish() {
        out.clear();
        if (pending.size() > 0) {
            event(pending.array(), 0, pending.size());
            pending.clear();
        }
        if (carryIndex >= 0) {
            int n = out.size();
            if (n > 0 && out.array()[n - 1] != '\n') {
                out.put((byte) '\n');
            }
            n = out.size();
            if (n > 1 && out.array()[n - 2] != '\n') {
                out.put((byte) '\n');
            }
            flushCarry();
        }
        return out.toArray();
    }

    /** After a failure: the bytes still held (the carry as a delta of its own), so the rest can pass through. */
    byte[] abandon() {
        out.clear();
        flushCarry();
        out.put(pending.array(), 0, pending.size());
        pending.clear();
        return out.toArray();
    }

    /** If an event ends with the line break at {@code k}, the index after it; else -1. */
    private static int boundary(byte[] p, int k, int size) {
        byte c = p[k];
        if (c == '\n') {
            if (k + 1 < size && p[k + 1] == '\n') {
                return k + 2;
            }
            if (k + 2 < size && p[k + 1] == '\r' && p[k + 2] == '\n') {
                return k + 3;
            }
        } else if (c == '\r' && k + 1 < size && p[k + 1] == '\r') {
            return k + 2;
        }
        return -1;
    }

    private void event(byte[] e, int s, int end) {
        int data = dataStart(e, s, end);
        if (data < 0) {
            out.put(e, s, end - s);
            return;
        }
        int dataEnd = data;
        boolean bracket = false;
        while (dataEnd < end && e[dataEnd] != '\n' && e[dataEnd] != '\r') {
            bracket |= e[dataEnd] == '[';
            dataEnd++;
        }
        if (carryIndex < 0 && (!bracket || !contains(e, data, dataEnd, DELTA_TYPE))) {
            out.put(e, s, end - s); // the common case: nothing to restore, nothing carried
            return;
        }
        if (!parse(e, data, dataEnd)) {
            flushCarry();
            out.put(e, s, end - s);
            return;
        }
        int times = !"content_block_delta".equals(type) || valueFrom < 0 ? 0
                : "text_delta".equals(deltaType) ? 1 : "input_json_delta".equals(deltaType) ? 2 : 0;
        if (times == 0) {
            if (!"ping".equals(type)) {
                flushCarry();
            }
            out.put(e, s, end - s);
            return;
        }
        if (carryIndex >= 0 && (carryIndex != index || carryTimes != times)) {
            flushCarry();
        }
        rewrite(e, s, end, times);
    }

    /** Restores the delta's string value {@code e[valueFrom, valueTo)} with the carry in front. */
    private void rewrite(byte[] e, int s, int end, int times) {
        boolean changed = carryIndex >= 0;
        work.clear();
        work.put(carry.array(), 0, carry.size()).put(e, valueFrom, valueTo - valueFrom);
        carry.clear();
        carryIndex = -1;
        byte[] w = work.array();
        int m = work.size();
        text.clear();
        int copied = 0;
        for (int i = 0; i < m; i++) {
            if (w[i] != '[') {
                continue;
            }
            PlaceholderVault.Entry entry = vault.match(w, i, m);
            if (entry != null) {
                text.put(w, copied, i - copied).put(entry.escaped(times));
                i += entry.tokenBytes.length - 1;
                copied = i + 1;
                changed = true;
            } else if (vault.partial(w, i, m)) {
                text.put(w, copied, i - copied);
                carry.put(w, i, m - i);
                carryIndex = index;
                carryTimes = times;
                copied = m;
                changed = true;
                break;
            }
        }
        if (!changed) {
            out.put(e, s, end - s);
            return;
        }
        text.put(w, copied, m - copied);
        out.put(e, s, valueFrom - s).put(text.array(), 0, text.size()).put(e, valueTo, end - valueTo);
    }

    /** Sends the carried bytes as a delta of their own (they are placeholder characters: no escaping needed). */
    private void flushCarry() {
        if (carryIndex < 0) {
            return;
        }
        boolean json = carryTimes == 2;
        String delta = json ? "input_json_delta\",\"partial_json\":\"" : "text_delta\",\"text\":\"";
        String head = "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":" + carryIndex
                + ",\"delta\":{\"type\":\"" + delta;
        out.put(head.getBytes(StandardCharsets.US_ASCII)).put(carry.array(), 0, carry.size())
                .put("\"}}\n\n".getBytes(StandardCharsets.US_ASCII));
        carry.clear();
        carryIndex = -1;
    }

    /** Index of the JSON after the first {@code data:} line's colon and optional space, or -1. */
    private static int dataStart(byte[] e, int s, int end) {
        int line = s;
        while (line < end) {
            if (end - line >= 5 && e[line] == 'd' && e[line + 1] == 'a' && e[line + 2] == 't' && e[line + 3] == 'a'
                    && e[line + 4] == ':') {
                int d = line + 5;
                return d < end && e[d] == ' ' ? d + 1 : d;
            }
            while (line < end && e[line] != '\n' && e[line] != '\r') {
                line++;
            }
            while (line < end && (e[line] == '\n' || e[line] == '\r')) {
                line++;
            }
        }
        return -1;
    }

    private static boolean contains(byte[] b, int from, int to, byte[] needle) {
        outer:
        for (int i = from; i + needle.length <= to; i++) {
            for (int k = 0; k < needle.length; k++) {
                if (b[i + k] != needle[k]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    /** Reads type, index, delta.type and the range of delta.text / delta.partial_json from the event's JSON. */
    private boolean parse(byte[] e, int from, int to) {
        type = null;
        deltaType = null;
        index = -1;
        valueFrom = -1;
        valueTo = -1;
        try (JsonParser p = ContentStrings.JSON.createParser(e, from, to - from)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return false;
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken t = p.nextToken();
                if ("type".equals(name) && t == JsonToken.VALUE_STRING) {
                    type = p.getText();
                } else if ("index".equals(name) && t == JsonToken.VALUE_NUMBER_INT) {
                    index = p.getIntValue();
                } else if ("delta".equals(name) && t == JsonToken.START_OBJECT) {
                    delta(p, e, from, to);
                } else {
                    p.skipChildren();
                }
            }
            return true;
        } catch (IOException | RuntimeException x) {
            return false;
        }
    }

    private void delta(JsonParser p, byte[] e, int from, int to) throws IOException {
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken t = p.nextToken();
            if ("type".equals(name) && t == JsonToken.VALUE_STRING) {
                deltaType = p.getText();
            } else if (("text".equals(name) || "partial_json".equals(name)) && t == JsonToken.VALUE_STRING) {
                // Offsets of a parser over (e, from, len) count from 'from'.
                int quote = from + (int) p.currentTokenLocation().getByteOffset();
                if (quote < from || quote >= to || e[quote] != '"') {
                    throw new IOException("cannot locate the delta's string");
                }
                valueFrom = quote + 1;
                valueTo = JsonText.closingQuote(e, valueFrom, to);
                if (valueTo < 0) {
                    throw new IOException("unterminated string");
                }
            } else {
                p.skipChildren();
            }
        }
    }
}
