package dev.dynchan.dist;

import dev.dynchan.UserException;
import dev.dynchan.cli.CliRun;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The launcher's and the rank environment's user errors: one line each, no process started. */
class LaunchArgsTest {
    @Test
    void launchMistakesAreOneLine() {
        CliRun.userError(CliRun.args("launch", "--nproc-per-node", "0", "train"), "--nproc-per-node must be at least 1");
        CliRun.userError(CliRun.args("launch", "--nnodes", "2", "--node-rank", "2", "train"), "--node-rank 2");
        CliRun.userError(CliRun.args("launch", "--nnodes", "2", "--node-rank", "1", "train"),
                "--master-addr set to node 0's address");
        CliRun.userError(CliRun.args("launch", "--master-port", "70000", "train"), "--master-port 70000");
        CliRun.userError(CliRun.args("launch", "predict"), "launch runs train or eval, not 'predict'");
    }

    @Test
    void environmentOfARank() {
        assertNull(DistEnv.from(Map.of()));
        assertNull(DistEnv.from(Map.of("WORLD_SIZE", "1")));
        DistEnv e = DistEnv.from(Map.of("WORLD_SIZE", "4", "RANK", "3", "LOCAL_RANK", "1", "LOCAL_WORLD_SIZE", "2",
                "MASTER_ADDR", "node0", "MASTER_PORT", "1234"));
        assertEquals(new DistEnv(3, 4, 1, 2, "node0", 1234), e);
        assertEquals(e, DistEnv.from(e.toEnvironment()));
        UserException u = assertThrows(UserException.class, () -> DistEnv.from(Map.of("WORLD_SIZE", "2")));
        assertTrue(u.getMessage().contains("RANK is not"), u.getMessage());
        u = assertThrows(UserException.class, () -> DistEnv.from(Map.of("WORLD_SIZE", "2", "RANK", "2")));
        assertTrue(u.getMessage().contains("RANK=2 is not in [0, WORLD_SIZE=2)"), u.getMessage());
        LaunchConfig c = new LaunchConfig(2, 3, 1, "10.0.0.1", 29500);
        assertEquals(new DistEnv(3, 6, 1, 2, "10.0.0.1", 29500), c.env(1));
    }
}
