package dev.dynchan.dist;

import dev.dynchan.UserException;

/**
 * A {@code torchrun}-style launch: {@code nprocPerNode} processes on each of {@code nnodes} machines, this machine
 * being node {@code nodeRank}; node 0's first process (rank 0) serves the store at {@code masterAddr:masterPort}.
 */
public record LaunchConfig(int nprocPerNode, int nnodes, int nodeRank, String masterAddr, int masterPort) {
    public LaunchConfig {
        if (nprocPerNode < 1) {
            throw new UserException("--nproc-per-node must be at least 1, got " + nprocPerNode);
        }
        if (nnodes < 1) {
            throw new UserException("--nnodes must be at least 1, got " + nnodes);
        }
        if (nodeRank < 0 || nodeRank >= nnodes) {
            throw new UserException("--node-rank " + nodeRank + " is not in [0, --nnodes " + nnodes + ")");
        }
        if (masterPort < 1 || masterPort > 65535) {
            throw new UserException("--master-port " + masterPort + " is not a TCP port (1-65535)");
        }
        if (nnodes > 1 && isLoopback(masterAddr)) {
            throw new UserException("--nnodes " + nnodes + " needs --master-addr set to node 0's address as the other "
                    + "nodes reach it, not " + masterAddr);
        }
    }

    static boolean isLoopback(String host) {
        return host.equals("localhost") || host.startsWith("127.") || host.equals("::1");
    }

    public int worldSize() { return nprocPerNode * nnodes; }

    /** The environment of local process {@code localRank} on this node. */
    public DistEnv env(int localRank) {
        return new DistEnv(nodeRank * nprocPerNode + localRank, worldSize(), localRank, nprocPerNode, masterAddr,
                masterPort);
    }
}
