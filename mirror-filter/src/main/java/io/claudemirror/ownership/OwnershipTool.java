package io.claudemirror.ownership;

import io.claudemirror.exchange.ApiRequest;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The operator's recovery path for the ownership index: list records, assign an id to a tenant (an id the index
 * lost or never saw, or a tenant renamed in the configuration), remove a record. It opens the store directly,
 * so the mirror using that {@code state.dir} must be stopped first (the file is locked while it runs).
 * <pre>
 * java -cp mirror-filter.jar:h2-mvstore.jar:slf4j-api.jar io.claudemirror.ownership.OwnershipTool \
 *     --state-dir ./mirror-state list [TENANT]
 *     --state-dir ./mirror-state assign ID TENANT
 *     --state-dir ./mirror-state remove ID
 * </pre>
 * The kind comes from the id ({@code msgbatch_…} is a batch, anything else a file) unless
 * {@code --kind file|batch} says otherwise. Exit status: 0 done, 1 nothing to remove, 2 usage error.
 */
public final class OwnershipTool {
    private OwnershipTool() {
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /** Runs one command; returns the exit status. */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        String stateDir = null;
        String kind = null;
        List<String> rest = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--state-dir") && i + 1 < args.length) {
                stateDir = args[++i];
            } else if (args[i].equals("--kind") && i + 1 < args.length) {
                kind = args[++i];
            } else {
                rest.add(args[i]);
            }
        }
        if (stateDir == null || rest.isEmpty() || kind != null && !kind.equals(ApiRequest.FILE)
                && !kind.equals(ApiRequest.BATCH)) {
            return usage(err);
        }
        String command = rest.get(0);
        try (OwnershipIndex index = MvStoreOwnershipIndex.open(Path.of(stateDir))) {
            switch (command) {
                case "list":
                    if (rest.size() > 2) {
                        return usage(err);
                    }
                    out.println("kind\tid\ttenant\tcreatedAt\texpiresAt");
                    for (OwnershipIndex.Entry e : index.list()) {
                        if (rest.size() == 2 && !rest.get(1).equals(e.tenant())) {
                            continue;
                        }
                        out.println(e.kind() + "\t" + e.id() + "\t" + e.tenant() + "\t" + e.createdAt() + "\t"
                                + (e.expiresAt() == null ? "never" : e.expiresAt()));
                    }
                    return 0;
                case "assign": {
                    if (rest.size() != 3) {
                        return usage(err);
                    }
                    String id = rest.get(1);
                    String k = kind != null ? kind : kindOf(id);
                    // The creation time is unknown here: a batch keeps its record a full retention from now.
                    String previous = index.assign(k, id, rest.get(2), Retention.expiresAt(k, Instant.now()));
                    out.println(k + " " + id + ": " + (previous == null ? "(none)" : previous) + " -> " + rest.get(2));
                    return 0;
                }
                case "remove": {
                    if (rest.size() != 2) {
                        return usage(err);
                    }
                    String id = rest.get(1);
                    String k = kind != null ? kind : kindOf(id);
                    boolean removed = index.remove(k, id);
                    out.println(k + " " + id + (removed ? ": removed" : ": no record"));
                    return removed ? 0 : 1;
                }
                default:
                    return usage(err);
            }
        } catch (IllegalStateException e) {
            err.println(e.getMessage());
            return 2;
        }
    }

    static String kindOf(String id) {
        return id.startsWith("msgbatch_") ? ApiRequest.BATCH : ApiRequest.FILE;
    }

    private static int usage(PrintStream err) {
        err.println("usage: OwnershipTool --state-dir DIR [--kind file|batch] list [TENANT] | assign ID TENANT | "
                + "remove ID");
        return 2;
    }
}
