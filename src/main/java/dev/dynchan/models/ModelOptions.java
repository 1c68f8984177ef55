package dev.dynchan.models;

/**
 * Options every factory understands (timm's create_model kwargs). Unset values keep the model's defaults.
 *
 * @param numClasses  classifier outputs (default 1000)
 * @param inChannels  input channels (default 3; 1 for grayscale data such as Fashion-MNIST)
 * @param inputSize   square input side the model is built and profiled for (default 224)
 * @param smallStem   small-image variant for 28–64 px inputs: 3×3 stride-1 stem without stem max-pool (ConvNets)
 *                    or a patch size that fits (transformers); null = automatic (on when inputSize ≤ 64)
 * @param dropRate    classifier dropout (null = family default)
 * @param dropPathRate stochastic depth (null = family default)
 */
public record ModelOptions(Integer numClasses, Integer inChannels, Integer inputSize, Boolean smallStem,
                           Float dropRate, Float dropPathRate) {
    public static ModelOptions defaults() {
        return new ModelOptions(null, null, null, null, null, null);
    }

    public int classes() { return numClasses == null ? 1000 : numClasses; }

    public int channels() { return inChannels == null ? 3 : inChannels; }

    public int size() { return inputSize == null ? 224 : inputSize; }

    public boolean small() { return smallStem == null ? size() <= 64 : smallStem; }

    public float drop(float familyDefault) { return dropRate == null ? familyDefault : dropRate; }

    public float dropPath(float familyDefault) { return dropPathRate == null ? familyDefault : dropPathRate; }

    public ModelOptions withNumClasses(int n) {
        return new ModelOptions(n, inChannels, inputSize, smallStem, dropRate, dropPathRate);
    }

    public ModelOptions withInChannels(int c) {
        return new ModelOptions(numClasses, c, inputSize, smallStem, dropRate, dropPathRate);
    }

    public ModelOptions withInputSize(int s) {
        return new ModelOptions(numClasses, inChannels, s, smallStem, dropRate, dropPathRate);
    }

    public ModelOptions withSmallStem(Boolean b) {
        return new ModelOptions(numClasses, inChannels, inputSize, b, dropRate, dropPathRate);
    }

    public ModelOptions withDropRate(Float d) {
        return new ModelOptions(numClasses, inChannels, inputSize, smallStem, d, dropPathRate);
    }

    public ModelOptions withDropPathRate(Float d) {
        return new ModelOptions(numClasses, inChannels, inputSize, smallStem, dropRate, d);
    }
}
