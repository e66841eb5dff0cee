package io.claudemirror.ownership;

import static org.assertj.core.api.Assertions.assertThat;

import io.claudemirror.exchange.ApiRequest;
import io.claudemirror.exchange.RequestFacts;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The two JSON readers of the ownership filter: file references in request bodies, and list-page filtering. */
class OwnershipJsonTest {
    @TempDir
    Path dir;
    OwnershipIndex index;

    @BeforeEach
    void open() {
        index = MvStoreOwnershipIndex.open(dir);
        index.record("a", ApiRequest.FILE, "file_a1", null);
        index.record("a", ApiRequest.FILE, "file_a2", null);
        index.record("b", ApiRequest.FILE, "file_b1", null);
    }

    @AfterEach
    void close() {
        index.close();
    }

    /** The file references the ownership filter checks: the front door's facts of the body. */
    static java.util.List<String> refs(String json) {
        byte[] b = json.getBytes(StandardCharsets.UTF_8);
        RequestFacts facts = RequestFacts.parse(b, b.length);
        assertThat(facts.valid()).as("valid: %s", json).isTrue();
        return facts.fileIds();
    }

    static boolean readable(byte[] b) {
        return RequestFacts.parse(b, b.length).valid();
    }

    @Test
    void everyFileIdMemberAtAnyDepthIsAReference() {
        String message = "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"document\","
                + "\"source\":{\"type\":\"file\",\"file_id\":\"file_1\"}},{\"type\":\"text\",\"text\":\"file_id\"}]}]}";
        assertThat(refs(message)).containsExactly("file_1");
        String batch = "{\"requests\":[{\"custom_id\":\"x\",\"params\":{\"messages\":[{\"content\":[{\"type\":\"image\","
                + "\"source\":{\"type\":\"file\",\"file_id\":\"file_2\"}}]}]}},{\"params\":{\"x\":{\"file_id\":\"file_3\"}}}]}";
        assertThat(refs(batch)).containsExactly("file_2", "file_3");
        // Where the fields the mirror reads (max_tokens, temperature, stream) hold objects, ids inside count; a
        // model that is not a string makes the body unreadable, which the ownership filter refuses.
        assertThat(refs("{\"max_tokens\":{\"file_id\":\"file_4\"},\"temperature\":[{\"file_id\":\"file_5\"}],"
                + "\"stream\":{\"x\":{\"file_id\":\"file_6\"}}}"))
                .containsExactly("file_4", "file_5", "file_6");
        assertThat(readable("{\"model\":{\"file_id\":\"file_7\"}}".getBytes(StandardCharsets.UTF_8))).isFalse();
        assertThat(refs("[{\"file_id\":\"file_8\"}]")).containsExactly("file_8");
        assertThat(refs("{\"file_id\":\"file_9\",\"x\":{\"file_id\":{\"file_id\":\"file_10\"}}}"))
                .containsExactly("file_9", "file_10");
        // Two file_id members in one object: refused, since readers disagree on which one counts.
        assertThat(readable("{\"container_upload\":{\"file_id\":\"file_4\",\"file_id\":\"file_5\"}}"
                .getBytes(StandardCharsets.UTF_8))).isFalse();
    }

    @Test
    void anEscapedNameOrValueIsReadAsTheUpstreamReadsIt() {
        assertThat(refs("{\"source\":{\"file\\u005fid\":\"file\\u005fa1\"}}")).containsExactly("file_a1");
    }

    @Test
    void aTextMentionIsNotAReferenceAndABodyThatIsNotJsonIsRefused() {
        assertThat(refs("{\"text\":\"my file_id is file_a1\"}")).isEmpty();
        assertThat(readable(new byte[] {0x1f, (byte) 0x8b, 8, 0})).isFalse();
        assertThat(readable("{\"file_id\":\"file_1\"".getBytes(StandardCharsets.UTF_8))).isFalse();
        assertThat(readable("{\"a\":{\"file_id\":\"file_1\"}".getBytes(StandardCharsets.UTF_8))).isFalse();
    }

    String filtered(String tenant, String page) {
        return run(new ListPageFilter(index, ApiRequest.FILE, tenant, "req_test"), page);
    }

    static String run(HeldBody t, String body) {
        t.begin(200, "application/json");
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        // in two chunks, as the upstream may send it
        assertThat(t.transform(b, 0, b.length / 2).remaining()).isZero();
        assertThat(t.transform(b, b.length / 2, b.length - b.length / 2).remaining()).isZero();
        ByteBuffer out = t.finish();
        return StandardCharsets.UTF_8.decode(out).toString();
    }

    @Test
    void aListPageKeepsOnlyTheTenantsItemsByteForByteAndNamesThemInTheCursors() {
        String page = "{\"data\":[{\"id\":\"file_b1\",\"type\":\"file\",\"filename\":\"b.txt\"},"
                + "{\"type\":\"file\", \"id\":\"file_a2\",\"meta\":{\"id\":\"file_b1\"}},"
                + "{\"id\":\"file_unknown\"},{\"id\":\"file_a1\",\"filename\":\"\\u00e9t\u00e9.txt\"}],"
                + "\"has_more\":true,\"first_id\":\"file_b1\",\"last_id\":\"file_a1\",\"next_page\":\"file_a1\"}";
        assertThat(filtered("a", page)).isEqualTo("{\"data\":[{\"type\":\"file\", \"id\":\"file_a2\",\"meta\":{\"id\":"
                + "\"file_b1\"}},{\"id\":\"file_a1\",\"filename\":\"\\u00e9t\u00e9.txt\"}],"
                + "\"has_more\":true,\"first_id\":\"file_a2\",\"last_id\":\"file_a1\",\"next_page\":\"file_a1\"}");
        assertThat(filtered("b", page)).isEqualTo("{\"data\":[{\"id\":\"file_b1\",\"type\":\"file\",\"filename\":"
                + "\"b.txt\"}],\"has_more\":true,\"first_id\":\"file_b1\",\"last_id\":\"file_b1\",\"next_page\":\"file_b1\"}");
        assertThat(filtered("c", page)).isEqualTo("{\"data\":[],\"has_more\":true,\"first_id\":null,\"last_id\":null,"
                + "\"next_page\":null}");
    }

    @Test
    void anOpaqueNextPageTokenPassesAndAPageOfUnknownShapeBecomesEmpty() {
        assertThat(filtered("a", "{\"data\":[],\"has_more\":true,\"next_page\":\"cGFnZTI=\"}"))
                .isEqualTo("{\"data\":[],\"has_more\":true,\"next_page\":\"cGFnZTI=\"}");
        String empty = new String(ListPageFilter.EMPTY_PAGE, StandardCharsets.UTF_8);
        assertThat(filtered("a", "[{\"id\":\"file_b1\"}]")).isEqualTo(empty);
        assertThat(filtered("a", "{\"items\":[{\"id\":\"file_b1\"}]}")).isEqualTo(empty);
        assertThat(filtered("a", "{\"data\":[{\"id\":\"file_b1\"}")).isEqualTo(empty);
    }

    @Test
    void anErrorAnswerPassesUntouched() {
        ListPageFilter f = new ListPageFilter(index, ApiRequest.FILE, "a", "req_test");
        f.begin(500, "application/json");
        byte[] b = "{\"type\":\"error\"}".getBytes(StandardCharsets.UTF_8);
        assertThat(f.transform(b, 0, b.length).remaining()).isEqualTo(b.length);
        assertThat(f.finish().remaining()).isZero();
    }

    @Test
    void anAnswerWithoutABodyStaysWithoutOne() {
        ListPageFilter f = new ListPageFilter(index, ApiRequest.FILE, "a", "req_test");
        f.begin(200, "application/json");
        assertThat(f.finish().remaining()).isZero();
    }

    @Test
    void theCreatedIdIsTheTopLevelOne() {
        byte[] b = "{\"request_counts\":{\"id\":\"x\"},\"id\":\"msgbatch_1\"}".getBytes(StandardCharsets.UTF_8);
        assertThat(CreationRecorder.topLevelId(b, b.length)).isEqualTo("msgbatch_1");
    }
}
