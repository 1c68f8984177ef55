package dev.dynchan.cli;

import dev.dynchan.UserException;
import dev.dynchan.dist.DistEnv;
import dev.dynchan.dist.LaunchConfig;
import dev.dynchan.dist.Launcher;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code ./dynchan launch}: torchrun for DynChan. Starts {@code --nproc-per-node} processes of {@code train} or
 * {@code eval} with the same flags, as ranks of one data-parallel run over c10d (Gloo), and stops them all with one
 * line when one fails.
 */
@Command(name = "launch", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Run train or eval as several data-parallel processes (torchrun semantics): "
                + "./dynchan launch --nproc-per-node 2 train --epochs 2",
                "--batch-size is per process (the global batch is batch x processes); --lr-base scales with the global "
                        + "batch. Rank 0 serves the c10d store on --master-addr:--master-port and writes every file.",
                "Several machines: run the same command on each with --nnodes N --node-rank R --master-addr "
                        + "<node 0's address> (docs/design/distributed.md)."})
public final class LaunchCommand implements Callable<Integer> {
    @Option(names = "--nproc-per-node", paramLabel = "P", description = "Processes on this machine (default: ${DEFAULT-VALUE})")
    int nprocPerNode = 1;

    @Option(names = "--nnodes", paramLabel = "N", description = "Machines in the run (default: ${DEFAULT-VALUE})")
    int nnodes = 1;

    @Option(names = "--node-rank", paramLabel = "R", description = "This machine's index, 0 to N-1 (default: ${DEFAULT-VALUE})")
    int nodeRank = 0;

    @Option(names = "--master-addr", paramLabel = "HOST",
            description = "Address of node 0, where rank 0 serves the store (default: ${DEFAULT-VALUE})")
    String masterAddr = "127.0.0.1";

    @Option(names = "--master-port", paramLabel = "PORT",
            description = "TCP port of the store on node 0; must be free there (default: ${DEFAULT-VALUE})")
    int masterPort = DistEnv.DEFAULT_PORT;

    @Parameters(arity = "1..*", paramLabel = "COMMAND", description = "train|eval and its options")
    List<String> command = new ArrayList<>();

    @Override
    public Integer call() throws IOException, InterruptedException {
        LaunchConfig config = new LaunchConfig(nprocPerNode, nnodes, nodeRank, masterAddr, masterPort);
        String sub = command.get(0);
        if (!sub.equals("train") && !sub.equals("eval")) {
            throw new UserException("launch runs train or eval, not '" + sub + "'");
        }
        List<String> args = new ArrayList<>(command);
        if (!args.contains("--threads") && args.stream().noneMatch(a -> a.startsWith("--threads="))) {
            // torchrun gives each process one thread; here the machine's cores are split between the processes
            int cores = Runtime.getRuntime().availableProcessors();
            args.add("--threads");
            args.add(Integer.toString(Math.max(1, cores / nprocPerNode)));
        }
        Launcher.Outcome o = Launcher.run(config, Launcher.thisJvm(), Main.class.getName(), args, System.out, System.err);
        if (o.exitCode() != 0) {
            System.out.flush();
            System.err.println("error: " + o.message());
        }
        return o.exitCode();
    }
}
