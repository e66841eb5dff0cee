package io.claudemirror.ownership;

import io.claudemirror.exchange.ApiRequest;
import java.nio.file.Path;

/**
 * Run in a child JVM by {@link MvStoreOwnershipIndexTest}: records file ids without end and prints each id once
 * {@code record} returned, until the test kills the process (no close, no shutdown hook).
 */
public final class CrashingWriter {
    private CrashingWriter() {
    }

    public static void main(String[] args) {
        OwnershipIndex index = MvStoreOwnershipIndex.open(Path.of(args[0]));
        for (long i = 0; ; i++) {
            String id = "file_crash" + i;
            index.record("team-a", ApiRequest.FILE, id, null);
            System.out.println(id);
            System.out.flush();
        }
    }
}
