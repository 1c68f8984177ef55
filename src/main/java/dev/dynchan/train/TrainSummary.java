package dev.dynchan.train;

import com.google.gson.FieldNamingPolicy;
import com.google.gson.GsonBuilder;

/**
 * What a run achieved so far, written as summary.json (snake_case keys) and printed at the end of {@code train}.
 * Accuracies are percent; null fields (no epoch yet, no EMA, MACs not measured) are left out of the JSON.
 */
public record TrainSummary(String model, String dataset, int epochs, Double top1, Double top5, Double valLoss,
                           Double emaTop1, Double emaTop5, Double bestTop1, Integer bestEpoch, long params, Long macs,
                           double trainSeconds, Double imagesPerSecond, long trainSamples, long valSamples,
                           int batchSize, float lr, String opt) {
    /** Pretty-printed JSON with summary.json's keys. */
    public String toJson() {
        return new GsonBuilder().setPrettyPrinting().setFieldNamingPolicy(FieldNamingPolicy.LOWER_CASE_WITH_UNDERSCORES)
                .create().toJson(this);
    }
}
