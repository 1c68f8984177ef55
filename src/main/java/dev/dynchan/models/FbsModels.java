package dev.dynchan.models;

import dev.dynchan.UserException;

import java.util.List;

/**
 * The FBS variants (Gao et al., ICLR 2019) and their registration: {@code fbs_resnet18}, {@code fbs_resnet34}
 * (PyTorch-FBS's gate placement), {@code fbs_vgg16} (VGG-16-BN) and {@code fbs_mcifarnet} (M-CifarNet), each taking
 * {@link ModelOptions#density} and {@link ModelOptions#fbsVariant}.
 */
public final class FbsModels {
    private FbsModels() { }

    /** Every registered FBS model. */
    public static final List<String> NAMES = List.of("fbs_resnet18", "fbs_resnet34", "fbs_vgg16", "fbs_mcifarnet");

    /**
     * Density when none is given: 0.5, the setting of the targets and of the fixtures. The reference's own
     * default (1.0) would build a network whose gates never run; {@code --density 1} still gives it.
     */
    public static final double DEFAULT_DENSITY = 0.5;

    static FbsResNet resnet(List<Integer> layers, ModelOptions o) {
        return new FbsResNet(new FbsResNet.Config(layers, o.small(), o.classes(), o.channels(), o.variant(),
                o.density(DEFAULT_DENSITY)));
    }

    static FbsVgg vgg16(ModelOptions o) {
        return new FbsVgg(new FbsVgg.Config(FbsVgg.VGG16, o.small(), o.size(), o.classes(), o.channels(), o.drop(0.5f),
                o.variant(), o.density(DEFAULT_DENSITY)));
    }

    static FbsCifarNet mcifarnet(ModelOptions o) {
        if (o.small()) {
            throw new UserException("fbs_mcifarnet is a 32 px (CIFAR) network whose global pooling takes any input of "
                    + "9 px or more; it has no small-image variant: drop --small-stem");
        }
        return new FbsCifarNet(new FbsCifarNet.Config(o.classes(), o.channels(), o.drop(0.5f), o.variant(),
                o.density(DEFAULT_DENSITY)));
    }

    static void registerAll(ModelRegistry r) {
        String src = "FBS (ICLR 2019), PyTorch-FBS placement";
        r.register("fbs_resnet18", src, o -> resnet(List.of(2, 2, 2, 2), o));
        r.register("fbs_resnet34", src, o -> resnet(List.of(3, 4, 6, 3), o));
        r.register("fbs_vgg16", "FBS (ICLR 2019), VGG-16-BN", FbsModels::vgg16);
        r.register("fbs_mcifarnet", "FBS (ICLR 2019), Mayo's M-CifarNet", FbsModels::mcifarnet);
    }

}
