package dev.dynchan.data.transform;

/** An integer crop rectangle: top row, left column, height, width (torchvision's i, j, h, w). */
public record CropBox(int top, int left, int height, int width) {
}
