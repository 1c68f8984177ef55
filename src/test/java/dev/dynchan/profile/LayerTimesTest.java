package dev.dynchan.profile;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Grouping of layer paths for `bench --layers`: per top-level block and per layer name across blocks. */
class LayerTimesTest {
    @Test
    void groupsAndNames() {
        assertEquals("layer3.4", LayerTimes.groupOf("layer3.4.conv2"));
        assertEquals("conv1", LayerTimes.groupOf("conv1"));
        assertEquals("conv2", LayerTimes.nameOf("layer3.4.conv2"));
        assertEquals("downsample.0", LayerTimes.nameOf("layer1.0.downsample.0"));
        assertEquals("conv_sqz", LayerTimes.nameOf("layer2.blocks.1.conv_sqz"));
        assertEquals("fc", LayerTimes.nameOf("fc"));
        assertEquals("blocks.3", LayerTimes.nameOf("blocks.3"));
    }
}
