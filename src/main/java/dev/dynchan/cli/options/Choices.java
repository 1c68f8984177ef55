package dev.dynchan.cli.options;

import dev.dynchan.train.LrBaseScale;
import dev.dynchan.train.OptimizerKind;
import dev.dynchan.train.Recipe;
import dev.dynchan.train.ScheduleKind;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

import java.util.Arrays;
import java.util.function.Function;

/** Converters of the options whose values are names (picocli then reports a bad one with the option's name). */
public final class Choices {
    private Choices() { }

    static <T> T parse(String value, Function<String, T> parser, Object[] allowed) {
        try {
            return parser.apply(value);
        } catch (dev.dynchan.UserException e) {
            throw new TypeConversionException("expected one of " + Arrays.toString(allowed) + ", found '" + value
                    + "'");
        }
    }

    public static final class Optimizer implements ITypeConverter<OptimizerKind> {
        @Override
        public OptimizerKind convert(String v) { return parse(v, OptimizerKind::parse, OptimizerKind.values()); }
    }

    public static final class Schedule implements ITypeConverter<ScheduleKind> {
        @Override
        public ScheduleKind convert(String v) { return parse(v, ScheduleKind::parse, ScheduleKind.values()); }
    }

    public static final class BaseScale implements ITypeConverter<LrBaseScale> {
        @Override
        public LrBaseScale convert(String v) { return parse(v, LrBaseScale::parse, LrBaseScale.values()); }
    }

    public static final class RecipeName implements ITypeConverter<Recipe> {
        @Override
        public Recipe convert(String v) { return parse(v, Recipe::parse, Recipe.values()); }
    }
}
