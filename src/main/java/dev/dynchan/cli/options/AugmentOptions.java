package dev.dynchan.cli.options;

import dev.dynchan.UserException;
import dev.dynchan.train.AugmentConfig;
import picocli.CommandLine.Option;

import java.util.List;
import java.util.Map;

/** Training augmentation options → {@link AugmentConfig}. */
public final class AugmentOptions {
    @Option(names = "--no-aug", arity = "0..1", fallbackValue = "true", paramLabel = "BOOL",
            description = "No training augmentation at all (default: ${DEFAULT-VALUE})")
    boolean noAug;

    @Option(names = "--scale", paramLabel = "MIN,MAX",
            description = "RandomResizedCrop area range; 1,1 = no random crop (default: ${DEFAULT-VALUE})")
    String scale;

    @Option(names = "--hflip", paramLabel = "P", description = "Horizontal-flip probability (default: ${DEFAULT-VALUE})")
    float hflip;

    @Option(names = "--aa", paramLabel = "SPEC",
            description = "RandAugment, e.g. rand-m9-mstd0.5-inc1; empty = none (default: '${DEFAULT-VALUE}')")
    String aa;

    @Option(names = "--reprob", paramLabel = "P", description = "Random-erasing probability (default: ${DEFAULT-VALUE})")
    float reprob;

    @Option(names = "--mixup", paramLabel = "ALPHA", description = "Mixup alpha, 0 = off (default: ${DEFAULT-VALUE})")
    float mixup;

    @Option(names = "--cutmix", paramLabel = "ALPHA", description = "CutMix alpha, 0 = off (default: ${DEFAULT-VALUE})")
    float cutmix;

    @Option(names = "--mixup-prob", paramLabel = "P",
            description = "Probability of mixing a batch when mixup/CutMix is on (default: ${DEFAULT-VALUE})")
    float mixupProb;

    @Option(names = "--mixup-switch-prob", paramLabel = "P",
            description = "Probability of CutMix instead of mixup when both are on (default: ${DEFAULT-VALUE})")
    float mixupSwitchProb;

    public AugmentConfig toConfig() {
        String[] parts = scale.strip().split("\\s*,\\s*|\\s+");
        double[] range = new double[2];
        try {
            if (parts.length != 2) {
                throw new NumberFormatException();
            }
            range[0] = Double.parseDouble(parts[0]);
            range[1] = Double.parseDouble(parts[1]);
        } catch (NumberFormatException e) {
            throw new UserException("--scale " + scale + ": expected two numbers MIN,MAX, e.g. 0.08,1.0");
        }
        return new AugmentConfig(noAug, range[0], range[1], hflip, aa, reprob, mixup, cutmix, mixupProb,
                mixupSwitchProb);
    }

    public static void describe(AugmentConfig c, Map<String, Object> out) {
        out.put("no-aug", c.noAug());
        out.put("scale", List.of(c.scaleMin(), c.scaleMax()));
        out.put("hflip", Describe.real(c.hflip()));
        out.put("aa", c.autoAugment());
        out.put("reprob", Describe.real(c.reprob()));
        out.put("mixup", Describe.real(c.mixup()));
        out.put("cutmix", Describe.real(c.cutmix()));
        out.put("mixup-prob", Describe.real(c.mixupProb()));
        out.put("mixup-switch-prob", Describe.real(c.mixupSwitchProb()));
    }
}
