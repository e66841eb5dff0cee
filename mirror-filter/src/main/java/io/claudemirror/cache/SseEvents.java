package io.claudemirror.cache;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Reads and writes the Messages event stream: {@code event: name}, one {@code data:} line, a blank line. */
final class SseEvents {
    /** One event; {@code data} is the JSON text of its data line(s). */
    record Event(String name, String data) {
    }

    private SseEvents() {
    }

    /** The events of a whole stream; comment lines and unknown fields are skipped, as the SDKs do. */
    static List<Event> parse(byte[] stream) {
        String s = new String(stream, StandardCharsets.UTF_8);
        List<Event> events = new ArrayList<>();
        String name = null;
        StringBuilder data = null;
        int i = 0;
        int n = s.length();
        while (i <= n) {
            int eol = i;
            while (eol < n && s.charAt(eol) != '\n' && s.charAt(eol) != '\r') {
                eol++;
            }
            String line = s.substring(i, eol);
            if (eol < n && s.charAt(eol) == '\r' && eol + 1 < n && s.charAt(eol + 1) == '\n') {
                eol++;
            }
            i = eol + 1;
            if (line.isEmpty()) {
                if (name != null || data != null) {
                    events.add(new Event(name == null ? "message" : name, data == null ? "" : data.toString()));
                }
                name = null;
                data = null;
                if (eol >= n) {
                    break;
                }
                continue;
            }
            if (line.startsWith("event:")) {
                name = value(line, 6);
            } else if (line.startsWith("data:")) {
                if (data == null) {
                    data = new StringBuilder(value(line, 5));
                } else {
                    data.append('\n').append(value(line, 5));
                }
            }
        }
        return events;
    }

    private static String value(String line, int from) {
        return line.length() > from && line.charAt(from) == ' ' ? line.substring(from + 1) : line.substring(from);
    }

    /** True for a stream that ended normally: its last event is {@code message_stop}, and no {@code error}. */
    static boolean complete(byte[] stream) {
        List<Event> events = parse(stream);
        for (Event e : events) {
            if ("error".equals(e.name())) {
                return false;
            }
        }
        return !events.isEmpty() && "message_stop".equals(events.get(events.size() - 1).name());
    }

    static void append(StringBuilder out, String name, String json) {
        out.append("event: ").append(name).append('\n').append("data: ").append(json).append("\n\n");
    }
}
