package io.claudemirror.demo;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The demos' {@value #FLAG} option: the container runs its request work (filters, the proxy servlet's blocking body
 * read) on virtual threads. Off unless asked for: the published figures of docs/benchmarks.md are on platform
 * threads, and with virtual threads every upstream chunk and every client read becomes a task on a new virtual
 * thread instead of running on the selector's own thread, a cost nobody has measured here yet.
 *
 * <p>The project is Java 17 bytecode, so nothing here names a Java 21 API. On a JVM without virtual threads the
 * option is ignored with one WARN line rather than refused: the same start script then works on every JVM the
 * demo supports, and the log says which threads serve.
 */
public final class VirtualThreadsOption {
    /** The command-line flag. */
    public static final String FLAG = "--virtual-threads";
    /** The first Java release with virtual threads as a final feature. */
    public static final int FIRST_RELEASE = 21;

    private static final Logger LOG = LoggerFactory.getLogger(VirtualThreadsOption.class);

    private VirtualThreadsOption() {
    }

    /** Whether this JVM has virtual threads (Java {@value #FIRST_RELEASE}+). */
    public static boolean supported() {
        return Runtime.version().feature() >= FIRST_RELEASE;
    }

    /** Whether {@code thread} is a virtual thread ({@code Thread.isVirtual()} through reflection: Java 17 bytecode). */
    public static boolean isVirtual(Thread thread) {
        try {
            return (Boolean) Thread.class.getMethod("isVirtual").invoke(thread);
        } catch (NoSuchMethodException e) {
            return false; // Java 17: every thread is a platform thread
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Whether the demo serves on virtual threads: when {@code requested} and {@link #supported()}. A request this
     * JVM cannot honour is logged at WARN and the demo serves on platform threads.
     */
    public static boolean resolve(boolean requested) {
        if (!requested) {
            return false;
        }
        if (!supported()) {
            LOG.warn("{} ignored: Java {} has no virtual threads (Java {}+ has); serving on platform threads",
                    FLAG, Runtime.version().feature(), FIRST_RELEASE);
            return false;
        }
        LOG.info("{}: request work runs on virtual threads (Java {})", FLAG, Runtime.version().feature());
        return true;
    }
}
