package dev.dynchan.cli.options;

import dev.dynchan.models.ModelRegistry;
import picocli.CommandLine;

/** {@code --model NAME} of {@code train}: the registered name in its canonical case, or a parse error. */
public final class ModelName implements CommandLine.ITypeConverter<String> {
    @Override
    public String convert(String value) {
        try {
            return ModelRegistry.defaultRegistry().entry(value).name();
        } catch (ModelRegistry.UnknownModelException e) {
            throw new CommandLine.TypeConversionException(e.getMessage());
        }
    }
}
