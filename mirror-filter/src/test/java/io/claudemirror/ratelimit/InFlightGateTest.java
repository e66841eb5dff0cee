package io.claudemirror.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class InFlightGateTest {
    static final long LONG_WAIT = TimeUnit.SECONDS.toNanos(30);

    @Test
    void freeSlotsAdmitAtOnce() {
        InFlightGate gate = new InFlightGate(2, 10);
        assertThat(gate.acquire(1, 0)).isEqualTo(InFlightGate.Outcome.ADMITTED);
        assertThat(gate.acquire(1, 0)).isEqualTo(InFlightGate.Outcome.ADMITTED);
        assertThat(gate.acquire(1, 0)).isEqualTo(InFlightGate.Outcome.QUEUE_FULL);
        gate.release();
        assertThat(gate.inFlight()).isEqualTo(1);
    }

    @Test
    void higherPriorityGoesFirstAndFifoWithinAPriority() throws Exception {
        InFlightGate gate = new InFlightGate(1, 10);
        assertThat(gate.acquire(1, 0).admitted()).isTrue();
        List<String> order = Collections.synchronizedList(new ArrayList<>());
        List<Thread> threads = new ArrayList<>();
        String[] names = {"low-1", "low-2", "high-1", "mid-1", "high-2", "low-3"};
        int[] priorities = {1, 1, 5, 3, 5, 1};
        for (int i = 0; i < names.length; i++) {
            String name = names[i];
            int priority = priorities[i];
            Thread t = new Thread(() -> {
                if (gate.acquire(priority, LONG_WAIT).admitted()) {
                    order.add(name);
                    gate.release();
                }
            }, name);
            t.start();
            threads.add(t);
            awaitQueued(gate, i + 1);
        }
        gate.release();
        for (Thread t : threads) {
            t.join(10_000);
        }
        assertThat(order).containsExactly("high-1", "high-2", "mid-1", "low-1", "low-2", "low-3");
        assertThat(gate.inFlight()).isZero();
    }

    @Test
    void aFreedSlotIsHandedToTheWaiterNotToANewcomer() throws Exception {
        InFlightGate gate = new InFlightGate(1, 10);
        gate.acquire(1, 0);
        Thread waiter = new Thread(() -> gate.acquire(1, LONG_WAIT));
        waiter.start();
        awaitQueued(gate, 1);
        gate.release();
        waiter.join(10_000);
        assertThat(gate.inFlight()).isEqualTo(1);
        assertThat(gate.acquire(9, 0)).isEqualTo(InFlightGate.Outcome.QUEUE_FULL);
    }

    @Test
    void aWaiterGivesUpAfterItsWait() {
        InFlightGate gate = new InFlightGate(1, 10);
        gate.acquire(1, 0);
        long start = System.nanoTime();
        assertThat(gate.acquire(1, TimeUnit.MILLISECONDS.toNanos(100))).isEqualTo(InFlightGate.Outcome.TIMED_OUT);
        assertThat(System.nanoTime() - start).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(100));
        assertThat(gate.queued()).isZero();
        gate.release();
        assertThat(gate.inFlight()).isZero();
    }

    @Test
    void theQueueIsBounded() throws Exception {
        InFlightGate gate = new InFlightGate(1, 1);
        gate.acquire(1, 0);
        Thread waiter = new Thread(() -> gate.acquire(1, LONG_WAIT));
        waiter.start();
        awaitQueued(gate, 1);
        assertThat(gate.acquire(99, LONG_WAIT)).isEqualTo(InFlightGate.Outcome.QUEUE_FULL);
        gate.release();
        waiter.join(10_000);
    }

    @Test
    void anInterruptedWaiterLeavesTheQueueAndKeepsTheFlag() throws Exception {
        InFlightGate gate = new InFlightGate(1, 10);
        gate.acquire(1, 0);
        InFlightGate.Outcome[] outcome = new InFlightGate.Outcome[1];
        boolean[] flag = new boolean[1];
        Thread waiter = new Thread(() -> {
            outcome[0] = gate.acquire(1, LONG_WAIT);
            flag[0] = Thread.currentThread().isInterrupted();
        });
        waiter.start();
        awaitQueued(gate, 1);
        waiter.interrupt();
        waiter.join(10_000);
        assertThat(outcome[0]).isEqualTo(InFlightGate.Outcome.TIMED_OUT);
        assertThat(flag[0]).isTrue();
        assertThat(gate.queued()).isZero();
    }

    static void awaitQueued(InFlightGate gate, int n) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (gate.queued() < n) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("queue never reached " + n);
            }
            Thread.sleep(2);
        }
    }
}
