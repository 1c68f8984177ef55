/**
 * The option groups of {@code train}, one picocli mixin per configuration record of {@link dev.dynchan.train}
 * (timm train.py's argument groups). Each builds its record with {@code toConfig()} and writes a record back under
 * its flag names with {@code describe}, which gives both the defaults {@code --recipe} and {@code --config} supply
 * and the {@code args.yaml} of a run. The fields get their defaults from {@code train}'s default-value provider,
 * never from initialisers here, so the defaults live only in the records.
 */
package dev.dynchan.cli.options;
