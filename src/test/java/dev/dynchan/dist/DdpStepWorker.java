package dev.dynchan.dist;

import dev.dynchan.data.Shard;
import dev.dynchan.engine.Engines;
import dev.dynchan.models.Network;
import dev.dynchan.train.TrainConfig;
import dev.dynchan.train.TrainSummary;
import dev.dynchan.train.Trainer;

import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * One rank of {@link DistTrainingTest}'s data-parallel run, started by {@link Launcher} with the torchrun variables
 * set: trains {@link DistTrainingTest#config} (model args[1], --sync-bn args[2]) on its shard and writes every float tensor (parameters, BN statistics) after every step to
 * {@code <dir>/steps-<rank>.bin} (float count, then the floats of each step), and the final top-1 to
 * {@code <dir>/top1-<rank>.txt}.
 */
public final class DdpStepWorker {
    private DdpStepWorker() { }

    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args[0]);
        String model = args[1];
        boolean syncBn = Boolean.parseBoolean(args[2]);
        Engines.start(1);
        TinyNoBn.register();
        dev.dynchan.train.TinyNet.register();
        DistEnv env = DistEnv.from(System.getenv());
        DistConfig dc = new DistConfig(Duration.ofSeconds(60), 25, true, syncBn);
        Ddp ddp = new Ddp(DistGroup.connect(env, dc.timeout()), dc);
        Shard shard = new Shard(env.rank(), env.worldSize(), true);
        TrainConfig c = DistTrainingTest.config(model);
        List<float[]> steps = new ArrayList<>();
        try (Network n = DistTrainingTest.net(model, c.seed())) {
            Trainer t = new Trainer(c, n, null, DistTrainingTest.data(64, 8, true, 1, shard),
                    DistTrainingTest.data(30, 16, false, 2, shard.withPad(false)))
                    .distributed(ddp).listener(DistTrainingTest.snapshots(n, steps));
            TrainSummary s = t.fit();
            try (DataOutputStream o = new DataOutputStream(Files.newOutputStream(dir.resolve("steps-" + env.rank()
                    + ".bin")))) {
                o.writeInt(steps.get(0).length);
                o.writeInt(steps.size());
                for (float[] w : steps) {
                    for (float v : w) {
                        o.writeFloat(v);
                    }
                }
            }
            Files.writeString(dir.resolve("top1-" + env.rank() + ".txt"), s.top1() + " " + s.valSamples());
        }
    }
}
