package dev.dynchan.data;

/** One decoded example: the image and its class index. */
public record Sample(ByteImage image, int label) {
}
