package dev.dynchan.engine;

import org.junit.jupiter.api.Test;

import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Starting the engine raises libtorch's C++ log threshold to ERROR (2): the flag is found in the loaded libc10 and
 * holds the value (libtorch's default is WARNING, 0/1 — its per-call NNPACK warning printed at that level).
 */
class TorchLogLevelTest {
    @Test
    void engineStartSilencesLibtorchWarnings() throws Exception {
        Engines.start(2);
        assertEquals(Optional.of(2), TorchLogLevel.get());
    }
}
