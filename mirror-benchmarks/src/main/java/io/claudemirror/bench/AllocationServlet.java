package io.claudemirror.bench;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.lang.management.ManagementFactory;

/**
 * {@code GET /__alloc}: bytes allocated so far by all live threads of this JVM (HotSpot's per-thread
 * counters). A load run reads it before and after; the difference over the request count is the allocation
 * per request, independent of how busy the machine is.
 */
public final class AllocationServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;

    static long allocatedBytes() {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long total = 0;
        for (long b : threads.getThreadAllocatedBytes(threads.getAllThreadIds())) {
            if (b > 0) {
                total += b;
            }
        }
        return total;
    }

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        resp.setContentType("text/plain");
        resp.getWriter().print(allocatedBytes());
    }
}
