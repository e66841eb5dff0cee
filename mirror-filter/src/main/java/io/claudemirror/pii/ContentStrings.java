package io.claudemirror.pii;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import java.io.IOException;
import java.util.Arrays;

/**
 * Locates, in a raw Messages API document, the JSON string values that carry user content, as byte ranges of
 * their content (between the quotes). In a request: {@code system} (string or text blocks) and the
 * {@code content} of every message whatever its role (string, text blocks, {@code tool_result} content, string
 * leaves of {@code tool_use.input}). In a message batch creation body ({@code {"requests":[{"custom_id":…,
 * "params":{…}}]}}): the same strings in every {@code requests[i].params}, which is a Messages request body.
 * In a response: the same blocks under the top-level {@code content}.
 * Also: text documents ({@code source.type} {@code text} or {@code content}) with their {@code title} and
 * {@code context}, search results, MCP tool results, and the descriptions in tool definitions.
 * Nothing else is touched: not model names, metadata, images, base64 documents, nor thinking blocks, whose
 * signature covers their text. {@link #ofAnyJson} takes every string, for bodies of unknown shape.
 *
 * <p>A block's {@code type} may come after its {@code text} (key order is free), so candidates are collected
 * while a block is parsed and kept or dropped when the block closes. Parsing is Jackson's streaming parser,
 * which also rejects malformed JSON. With a {@link Visitor}, each candidate is handed over in Jackson's own
 * decoded buffer as it is parsed (one pass over its bytes, no String); without, strings are skipped.
 */
final class ContentStrings {
    /** Same limits as the mirror's other parsing, but no cap on string length below the body limit. */
    static final JsonFactory JSON = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(512)
                    .maxStringLength(Integer.MAX_VALUE).build())
            .build();

    /** Sees every candidate string while it is parsed, before it is known whether its block keeps it. */
    interface Visitor {
        /** Candidate {@code id} (ascending in document order) is the text {@code chars[offset, offset+length)}. */
        void visit(int id, char[] chars, int offset, int length) throws IOException;
    }

    /** Tags of collected ranges; ACCEPTED ones are final for the enclosing block. */
    private static final int ACCEPTED = 0;
    private static final int TEXT = 1;
    private static final int CONTENT = 2;
    private static final int INPUT = 3;
    /** {@code title} / {@code context} of a document or search result. */
    private static final int META = 4;
    /** {@code data} / {@code content} string of a document {@code source}, kept when the source is text. */
    private static final int SOURCE = 5;

    private static final int OTHER_BLOCK = 0;
    private static final int TEXT_BLOCK = 1;
    private static final int TOOL_RESULT_BLOCK = 2;
    private static final int TOOL_USE_BLOCK = 3;
    private static final int DOCUMENT_BLOCK = 4;
    private static final int SEARCH_RESULT_BLOCK = 5;

    private final JsonParser p;
    private final byte[] body;
    private final int length;
    private final Visitor visitor;
    private int[] starts = new int[32];
    private int[] ends = new int[32];
    private int[] tags = new int[32];
    private int[] ids = new int[32];
    private int size;
    private int nextId;

    private ContentStrings(JsonParser p, byte[] body, int length, Visitor visitor) {
        this.p = p;
        this.body = body;
        this.length = length;
        this.visitor = visitor;
    }

    /** The content ranges of a request body; throws IOException if it is not one well-formed JSON document. */
    static ContentStrings ofRequest(byte[] body, int length) throws IOException {
        return walk(body, length, true, null);
    }

    /** As {@link #ofRequest(byte[], int)}, handing every candidate's decoded text to {@code visitor}. */
    static ContentStrings ofRequest(byte[] body, int length, Visitor visitor) throws IOException {
        return walk(body, length, true, visitor);
    }

    /**
     * The content ranges of a message batch creation body: those of every {@code requests[i].params}, read as a
     * Messages request body; {@code custom_id} and everything else is skipped.
     */
    static ContentStrings ofBatch(byte[] body, int length, Visitor visitor) throws IOException {
        return walk(body, length, BATCH, visitor);
    }

    /** The content ranges of a non-streaming response ({@code Message}). */
    static ContentStrings ofResponse(byte[] body, int length) throws IOException {
        return walk(body, length, false, null);
    }

    /**
     * Every string value of a JSON document, wherever it is (keys excepted): for a body the mirror does not know
     * the shape of (an endpoint newer than this code), every string may be user content.
     */
    static ContentStrings ofAnyJson(byte[] body, int length, Visitor visitor) throws IOException {
        return walk(body, length, ANY, visitor);
    }

    private static final int REQUEST = 0;
    private static final int RESPONSE = 1;
    private static final int BATCH = 2;
    private static final int ANY = 3;

    private static ContentStrings walk(byte[] body, int length, boolean request, Visitor visitor) throws IOException {
        return walk(body, length, request ? REQUEST : RESPONSE, visitor);
    }

    private static ContentStrings walk(byte[] body, int length, int shape, Visitor visitor) throws IOException {
        try (JsonParser p = JSON.createParser(body, 0, length)) {
            ContentStrings c = new ContentStrings(p, body, length, visitor);
            JsonToken t = p.nextToken();
            if (shape == ANY) {
                if (t != null && (t.isStructStart() || t == JsonToken.VALUE_STRING)) {
                    if (t == JsonToken.VALUE_STRING) {
                        c.add(ACCEPTED);
                    } else {
                        c.leaves(ACCEPTED);
                    }
                }
            } else if (t == JsonToken.START_OBJECT) {
                if (shape == BATCH) {
                    c.batch();
                } else {
                    c.root(shape == REQUEST);
                }
            } else if (t != null) {
                p.skipChildren();
            }
            if (t != null && p.nextToken() != null) {
                throw new IOException("trailing content after the JSON document");
            }
            return c;
        }
    }

    int size() {
        return size;
    }

    int start(int i) {
        return starts[i];
    }

    int end(int i) {
        return ends[i];
    }

    /** The visitor id of kept range {@code i}. */
    int id(int i) {
        return ids[i];
    }

    private void root(boolean request) throws IOException {
        JsonToken t;
        while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            t = p.nextToken();
            if (request && "system".equals(name)) {
                stringOrBlocks(t);
            } else if (request && "messages".equals(name) && t == JsonToken.START_ARRAY) {
                messages();
            } else if (request && "tools".equals(name) && t == JsonToken.START_ARRAY) {
                tools();
            } else if (!request && "content".equals(name) && t == JsonToken.START_ARRAY) {
                blocks();
            } else {
                p.skipChildren();
            }
        }
    }

    /** A batch creation body, its opening brace just read: every {@code requests[i].params} object. */
    private void batch() throws IOException {
        JsonToken t;
        while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            t = p.nextToken();
            if ("requests".equals(name) && t == JsonToken.START_ARRAY) {
                while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
                    if (t != JsonToken.START_OBJECT) {
                        p.skipChildren();
                        continue;
                    }
                    while (p.nextToken() == JsonToken.FIELD_NAME) {
                        String field = p.currentName();
                        t = p.nextToken();
                        if ("params".equals(field) && t == JsonToken.START_OBJECT) {
                            root(true);
                        } else {
                            p.skipChildren();
                        }
                    }
                }
            } else {
                p.skipChildren();
            }
        }
    }

    private void messages() throws IOException {
        JsonToken t;
        while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
            if (t != JsonToken.START_OBJECT) {
                p.skipChildren();
                continue;
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                t = p.nextToken();
                if ("content".equals(name)) {
                    stringOrBlocks(t);
                } else {
                    p.skipChildren();
                }
            }
        }
    }

    /**
     * Tool definitions: a tool's {@code description} and every {@code description} inside its
     * {@code input_schema} are written by the user and sent with every request; names and schema keywords are not.
     */
    private void tools() throws IOException {
        JsonToken t;
        while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
            if (t != JsonToken.START_OBJECT) {
                p.skipChildren();
                continue;
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                t = p.nextToken();
                if ("description".equals(name) && t == JsonToken.VALUE_STRING) {
                    add(ACCEPTED);
                } else if ("input_schema".equals(name) && t == JsonToken.START_OBJECT) {
                    descriptions();
                } else {
                    p.skipChildren();
                }
            }
        }
    }

    /** Inside a JSON schema just opened: the string value of every {@code description} key, at any depth. */
    private void descriptions() throws IOException {
        int depth = 1;
        while (depth > 0) {
            JsonToken t = p.nextToken();
            if (t == null) {
                throw new IOException("unexpected end of input");
            }
            if (t.isStructStart()) {
                depth++;
            } else if (t.isStructEnd()) {
                depth--;
            } else if (t == JsonToken.VALUE_STRING && "description".equals(p.currentName())
                    && p.getParsingContext().inObject()) {
                add(ACCEPTED);
            }
        }
    }

    private void stringOrBlocks(JsonToken t) throws IOException {
        if (t == JsonToken.VALUE_STRING) {
            add(ACCEPTED);
        } else if (t == JsonToken.START_ARRAY) {
            blocks();
        } else {
            p.skipChildren();
        }
    }

    private void blocks() throws IOException {
        JsonToken t;
        while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
            if (t == JsonToken.START_OBJECT) {
                block();
            } else {
                p.skipChildren();
            }
        }
    }

    private void block() throws IOException {
        int mark = size;
        int kind = OTHER_BLOCK;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken t = p.nextToken();
            switch (name) {
                case "type":
                    kind = t == JsonToken.VALUE_STRING ? kind(p) : OTHER_BLOCK;
                    break;
                case "text":
                    take(t, TEXT);
                    break;
                case "content":
                    if (t == JsonToken.START_ARRAY) {
                        blocks(); // nested blocks decide for themselves; this block decides whether to keep them
                    } else {
                        take(t, CONTENT);
                    }
                    break;
                case "input":
                    if (t == JsonToken.START_OBJECT || t == JsonToken.START_ARRAY) {
                        leaves(INPUT);
                    } else {
                        take(t, INPUT);
                    }
                    break;
                case "source":
                    if (t == JsonToken.START_OBJECT) {
                        source();
                    } else {
                        p.skipChildren();
                    }
                    break;
                case "title":
                case "context":
                    take(t, META);
                    break;
                default:
                    p.skipChildren();
            }
        }
        int kept = mark;
        for (int i = mark; i < size; i++) {
            int tag = tags[i];
            // Text blocks nested anywhere (tool results, MCP tool results, search results, document content)
            // were accepted by their own block and stay accepted, whatever holds them.
            boolean keep = tag == ACCEPTED
                    || (tag == TEXT && kind == TEXT_BLOCK)
                    || (tag == CONTENT && kind == TOOL_RESULT_BLOCK)
                    || (tag == INPUT && kind == TOOL_USE_BLOCK)
                    || (tag == META && (kind == DOCUMENT_BLOCK || kind == SEARCH_RESULT_BLOCK));
            if (keep) {
                accept(kept++, i);
            }
        }
        size = kept;
    }

    /**
     * A document's {@code source}: its {@code data} when the source is {@code text} (plain text; base64 data is
     * not text and is left alone), its {@code content} when the source is {@code content} (a string, or blocks
     * that decide for themselves).
     */
    private void source() throws IOException {
        int mark = size;
        boolean text = false;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken t = p.nextToken();
            if ("type".equals(name) && t == JsonToken.VALUE_STRING) {
                String type = p.getText();
                text = "text".equals(type) || "content".equals(type);
            } else if ("data".equals(name) || "content".equals(name) && t != JsonToken.START_ARRAY) {
                take(t, SOURCE);
            } else if ("content".equals(name)) {
                blocks();
            } else {
                p.skipChildren();
            }
        }
        int kept = mark;
        for (int i = mark; i < size; i++) {
            if (tags[i] == ACCEPTED || text && tags[i] == SOURCE) {
                accept(kept++, i);
            }
        }
        size = kept;
    }

    /** Keeps range {@code i} as range {@code kept} (kept ≤ i), now final for the enclosing structure. */
    private void accept(int kept, int i) {
        starts[kept] = starts[i];
        ends[kept] = ends[i];
        ids[kept] = ids[i];
        tags[kept] = ACCEPTED;
    }

    /** Every string value (not key) inside the structure just opened, recorded with {@code tag}. */
    private void leaves(int tag) throws IOException {
        int depth = 1;
        while (depth > 0) {
            JsonToken t = p.nextToken();
            if (t == null) {
                throw new IOException("unexpected end of input");
            }
            if (t.isStructStart()) {
                depth++;
            } else if (t.isStructEnd()) {
                depth--;
            } else if (t == JsonToken.VALUE_STRING) {
                add(tag);
            }
        }
    }

    private void take(JsonToken t, int tag) throws IOException {
        if (t == JsonToken.VALUE_STRING) {
            add(tag);
        } else {
            p.skipChildren();
        }
    }

    /** The block kind named by the current string token, read from Jackson's buffer (no String per block). */
    private static int kind(JsonParser p) throws IOException {
        char[] c = p.getTextCharacters();
        int off = p.getTextOffset();
        int len = p.getTextLength();
        if (is(c, off, len, "text")) {
            return TEXT_BLOCK;
        }
        if (is(c, off, len, "tool_result") || is(c, off, len, "mcp_tool_result")) {
            return TOOL_RESULT_BLOCK;
        }
        if (is(c, off, len, "document")) {
            return DOCUMENT_BLOCK;
        }
        if (is(c, off, len, "search_result")) {
            return SEARCH_RESULT_BLOCK;
        }
        return is(c, off, len, "tool_use") ? TOOL_USE_BLOCK : OTHER_BLOCK;
    }

    private static boolean is(char[] c, int off, int len, String s) {
        if (len != s.length()) {
            return false;
        }
        for (int i = 0; i < len; i++) {
            if (c[off + i] != s.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    /** Records the current string token's content range, found from its quotes in the raw bytes. */
    private void add(int tag) throws IOException {
        long quote = p.currentTokenLocation().getByteOffset();
        if (quote < 0 || quote >= length || body[(int) quote] != '"') {
            // The edit must land exactly on the string; if the offset is not its quote, refuse to guess.
            throw new IOException("cannot locate a string value in the request body");
        }
        int from = (int) quote + 1;
        int to;
        int id = nextId++;
        if (visitor != null) {
            // Jackson decodes the string once; its end is where the parser stands afterwards.
            char[] chars = p.getTextCharacters();
            visitor.visit(id, chars, p.getTextOffset(), p.getTextLength());
            to = (int) p.currentLocation().getByteOffset() - 1;
            if (to < from || to >= length || body[to] != '"') {
                throw new IOException("cannot locate the end of a string value in the request body");
            }
        } else {
            to = JsonText.closingQuote(body, from, length);
            if (to < 0) {
                throw new IOException("unterminated string");
            }
        }
        if (size == starts.length) {
            starts = Arrays.copyOf(starts, size * 2);
            ends = Arrays.copyOf(ends, size * 2);
            tags = Arrays.copyOf(tags, size * 2);
            ids = Arrays.copyOf(ids, size * 2);
        }
        starts[size] = from;
        ends[size] = to;
        tags[size] = tag;
        ids[size] = id;
        size++;
    }
}
