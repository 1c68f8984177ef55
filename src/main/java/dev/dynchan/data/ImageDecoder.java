package dev.dynchan.data;

import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.io.IOException;
import java.nio.file.Path;
import javax.imageio.ImageIO;

/** Decodes JPEG/PNG files with javax.imageio into 3-channel {@link ByteImage}s (like PIL's convert("RGB")). */
public final class ImageDecoder {

    static {
        // Decoding from memory/disk only: ImageIO's temp-file cache just adds I/O.
        ImageIO.setUseCache(false);
    }

    private ImageDecoder() {
    }

    /**
     * Decodes {@code path} to RGB.
     *
     * @throws DataException naming the path when the file is missing, truncated or not an image
     */
    public static ByteImage decodeRgb(Path path) {
        BufferedImage img;
        try {
            img = ImageIO.read(path.toFile());
        } catch (IOException | RuntimeException e) {
            // ImageIO reports broken files both as IIOException and as unchecked exceptions.
            throw new DataException(path + ": cannot decode image (" + e.getMessage() + ")", e);
        }
        if (img == null) {
            throw new DataException(path + ": not a readable image (no javax.imageio decoder accepts it)");
        }
        try {
            return toRgb(img);
        } catch (RuntimeException e) {
            throw new DataException(path + ": cannot convert decoded image to RGB (" + e + ")", e);
        }
    }

    /**
     * Decodes {@code path} to {@code channels} channels: 3 = RGB, 1 = luma (ITU-R 601, as PIL's convert("L"), which
     * gives a gray file back unchanged).
     *
     * @throws DataException naming the path when the file is missing, truncated or not an image
     */
    public static ByteImage decode(Path path, int channels) {
        ByteImage rgb = decodeRgb(path);
        if (channels == 3) {
            return rgb;
        }
        if (channels != 1) {
            throw new IllegalArgumentException("channels must be 1 or 3, found " + channels);
        }
        byte[] src = rgb.pixels();
        byte[] out = new byte[rgb.width() * rgb.height()];
        for (int i = 0; i < out.length; i++) {
            int r = src[3 * i] & 0xff;
            int g = src[3 * i + 1] & 0xff;
            int b = src[3 * i + 2] & 0xff;
            out[i] = (byte) ((r * 299 + g * 587 + b * 114 + 500) / 1000);
        }
        return new ByteImage(rgb.width(), rgb.height(), 1, out);
    }

    /** Converts any BufferedImage to an RGB ByteImage; alpha is dropped, gray is replicated. */
    public static ByteImage toRgb(BufferedImage img) {
        int w = img.getWidth();
        int h = img.getHeight();
        byte[] out = new byte[w * h * 3];
        Raster raster = img.getRaster();
        switch (img.getType()) {
            case BufferedImage.TYPE_3BYTE_BGR -> {
                // Raster samples come in band order (R, G, B) whatever the memory layout.
                int[] s = raster.getPixels(0, 0, w, h, (int[]) null);
                for (int i = 0; i < s.length; i++) {
                    out[i] = (byte) s[i];
                }
            }
            case BufferedImage.TYPE_BYTE_GRAY, BufferedImage.TYPE_USHORT_GRAY -> {
                // Read samples directly: getRGB would apply a linear-to-sRGB curve to gray.
                int shift = img.getType() == BufferedImage.TYPE_USHORT_GRAY ? 8 : 0;
                int[] s = raster.getPixels(0, 0, w, h, (int[]) null);
                for (int i = 0; i < s.length; i++) {
                    byte v = (byte) (s[i] >> shift);
                    out[3 * i] = out[3 * i + 1] = out[3 * i + 2] = v;
                }
            }
            default -> {
                int[] argb = img.getRGB(0, 0, w, h, null, 0, w);
                for (int i = 0; i < argb.length; i++) {
                    out[3 * i] = (byte) (argb[i] >> 16);
                    out[3 * i + 1] = (byte) (argb[i] >> 8);
                    out[3 * i + 2] = (byte) argb[i];
                }
            }
        }
        return new ByteImage(w, h, 3, out);
    }
}
