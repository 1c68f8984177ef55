package dev.dynchan.train;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The log says when the training loss cannot be compared with the validation loss, and why. */
class RunLogTest {
    static String start(TrainConfig c) {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        new RunLog(new PrintStream(buf, true, StandardCharsets.UTF_8), null, c).onTrainStart(0, 6);
        return buf.toString(StandardCharsets.UTF_8);
    }

    @Test
    void defaultRunSaysItsTrainLossIsLabelSmoothed() {
        String header = start(TrainConfig.defaults());
        assertTrue(header.contains("label smoothing 0.1") && header.contains("val loss is plain cross-entropy"),
                header);
    }

    @Test
    void mixupAndBceAreNamedAndPlainCrossEntropySaysNothing() {
        TrainConfig d = TrainConfig.defaults();
        TrainConfig plain = d.withLoss(new LossConfig(0f, false));
        assertNull(RunLog.trainLossKind(plain));
        assertEquals("", start(plain));
        TrainConfig mixed = d.withLoss(new LossConfig(0f, true)).withAugment(d.augment().withMixup(0.2f, 0f));
        assertEquals("binary cross-entropy, mixup/cutmix targets", RunLog.trainLossKind(mixed));
        // --no-aug turns mixup off, so the targets stay hard
        assertNull(RunLog.trainLossKind(plain.withAugment(d.augment().withMixup(0.2f, 0f).withNoAug(true))));
    }

    @Test
    void resumedFinishedRunHasNothingToDo() {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        new RunLog(new PrintStream(buf, true, StandardCharsets.UTF_8), null, TrainConfig.defaults()).onTrainStart(6, 6);
        assertEquals("nothing to do: 6 of 6 epochs already completed\n", buf.toString(StandardCharsets.UTF_8));
    }
}
