package dev.dynchan;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestWatcher;

import java.util.Optional;

/**
 * Prints why a test was skipped or disabled: surefire's console shows only "Skipped: 1", and the reason given to
 * {@code assumeTrue}/{@code @Disabled} ends up only in the XML report. Registered for every test through
 * {@code META-INF/services} and JUnit's extension auto-detection ({@code junit-platform.properties}).
 */
public final class SkipReasons implements TestWatcher {
    @Override
    public void testAborted(ExtensionContext context, Throwable cause) {
        System.out.println("[SKIPPED] " + context.getDisplayName() + " in "
                + context.getRequiredTestClass().getSimpleName() + ": " + cause.getMessage());
    }

    @Override
    public void testDisabled(ExtensionContext context, Optional<String> reason) {
        System.out.println("[SKIPPED] " + context.getDisplayName() + " in "
                + context.getRequiredTestClass().getSimpleName() + ": " + reason.orElse("disabled, no reason given"));
    }
}
