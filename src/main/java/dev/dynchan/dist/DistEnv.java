package dev.dynchan.dist;

import dev.dynchan.UserException;

import java.util.Map;

/**
 * Where one process sits in a data-parallel run, as {@code ./dynchan launch} (or torchrun, or a cluster's own
 * launcher) describes it in the environment, with torchrun's names: {@code RANK}, {@code WORLD_SIZE},
 * {@code LOCAL_RANK}, {@code LOCAL_WORLD_SIZE}, {@code MASTER_ADDR}, {@code MASTER_PORT}.
 *
 * @param masterAddr host of rank 0, which serves the c10d TCP store every rank connects to
 * @param masterPort its port
 */
public record DistEnv(int rank, int worldSize, int localRank, int localWorldSize, String masterAddr, int masterPort) {
    public static final int DEFAULT_PORT = 29500;

    public DistEnv {
        if (worldSize < 1 || rank < 0 || rank >= worldSize) {
            throw new UserException("RANK=" + rank + " is not in [0, WORLD_SIZE=" + worldSize + ")");
        }
        if (localWorldSize < 1 || localRank < 0 || localRank >= localWorldSize) {
            throw new UserException("LOCAL_RANK=" + localRank + " is not in [0, LOCAL_WORLD_SIZE=" + localWorldSize + ")");
        }
        if (masterPort < 1 || masterPort > 65535) {
            throw new UserException("MASTER_PORT=" + masterPort + " is not a TCP port (1-65535)");
        }
        if (masterAddr == null || masterAddr.isBlank()) {
            throw new UserException("MASTER_ADDR is empty: it must name the host of rank 0");
        }
    }

    /** The run described by {@code env}, or null when it names none (no {@code WORLD_SIZE}, or 1): one process. */
    public static DistEnv from(Map<String, String> env) {
        String ws = env.get("WORLD_SIZE");
        if (ws == null || ws.isBlank() || ws.strip().equals("1")) {
            return null;
        }
        int world = number(env, "WORLD_SIZE", null);
        int rank = number(env, "RANK", null);
        int localRank = number(env, "LOCAL_RANK", Integer.toString(rank));
        int localWorld = number(env, "LOCAL_WORLD_SIZE", Integer.toString(world));
        String addr = env.getOrDefault("MASTER_ADDR", "127.0.0.1");
        int port = number(env, "MASTER_PORT", Integer.toString(DEFAULT_PORT));
        return new DistEnv(rank, world, localRank, localWorld, addr, port);
    }

    private static int number(Map<String, String> env, String name, String orElse) {
        String v = env.get(name);
        if (v == null || v.isBlank()) {
            if (orElse == null) {
                throw new UserException("WORLD_SIZE is set but " + name + " is not: every process of a distributed "
                        + "run needs it (./dynchan launch sets it)");
            }
            v = orElse;
        }
        try {
            return Integer.parseInt(v.strip());
        } catch (NumberFormatException e) {
            throw new UserException(name + "='" + v + "' is not a whole number");
        }
    }

    /** The variables a launcher sets for this process (the inverse of {@link #from}). */
    public Map<String, String> toEnvironment() {
        return Map.of("RANK", Integer.toString(rank), "WORLD_SIZE", Integer.toString(worldSize),
                "LOCAL_RANK", Integer.toString(localRank), "LOCAL_WORLD_SIZE", Integer.toString(localWorldSize),
                "MASTER_ADDR", masterAddr, "MASTER_PORT", Integer.toString(masterPort));
    }
}
