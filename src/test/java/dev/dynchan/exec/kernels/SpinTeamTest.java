package dev.dynchan.exec.kernels;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicIntegerArray;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** SpinTeam: every member runs the body, barriers order the steps, a failure surfaces and leaves the team usable. */
class SpinTeamTest {
    @Test
    void barriersSeparateSteps() {
        try (SpinTeam team = new SpinTeam(2)) {
            int[] stepOne = new int[2];
            int[] seen = new int[2];
            for (int call = 0; call < 50; call++) {
                team.run((m, t) -> {
                    stepOne[m] = m + 1;
                    t.barrier();
                    seen[m] = stepOne[1 - m];   // written by the other member before the barrier
                    t.barrier();
                });
                assertEquals(2, seen[0]);
                assertEquals(1, seen[1]);
            }
        }
    }

    @Test
    void aFailureIsRethrownAndTheNextCallRuns() {
        try (SpinTeam team = new SpinTeam(2)) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> team.run((m, t) -> {
                if (m == 1) {
                    throw new IllegalStateException("member 1 failed");
                }
                t.barrier();                    // member 0 waits here for a member that never comes
            }));
            assertEquals("member 1 failed", e.getCause() != null ? e.getCause().getMessage() : e.getMessage());
            AtomicIntegerArray ran = new AtomicIntegerArray(2);
            team.run((m, t) -> {
                t.barrier();
                ran.incrementAndGet(m);
                t.barrier();
            });
            assertEquals(1, ran.get(0));
            assertEquals(1, ran.get(1));
        }
    }

    @Test
    void runAfterCloseIsRefused() {
        SpinTeam team = new SpinTeam(2);
        team.close();
        assertThrows(IllegalStateException.class, () -> team.run((m, t) -> { }));
    }
}
