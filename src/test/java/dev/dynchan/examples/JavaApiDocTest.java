package dev.dynchan.examples;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.google.gson.Gson;
import com.google.gson.JsonObject;
import dev.dynchan.TestSupport;
import dev.dynchan.data.ByteImage;
import dev.dynchan.data.Datasets;
import dev.dynchan.io.SafeTensors;
import dev.dynchan.io.StateDicts;
import dev.dynchan.io.WeightsMetadata;
import dev.dynchan.models.DsNetTiny;
import dev.dynchan.models.ModelOptions;
import dev.dynchan.models.Network;
import dev.dynchan.train.TinyNet;
import dev.dynchan.train.TrainSummary;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** docs/java-api.md shows these examples verbatim, and each runs on tiny inputs. */
class JavaApiDocTest {
    static final Path DOC = Path.of("docs/java-api.md");
    static final Path EXAMPLES = Path.of("src/test/java/dev/dynchan/examples");

    @TempDir
    Path tmp;

    @BeforeAll
    static void engine() {
        TestSupport.engine();
        TinyNet.register();
    }

    static List<String> javaBlocks() throws Exception {
        Matcher m = Pattern.compile("```java\\n(.*?)```", Pattern.DOTALL).matcher(Files.readString(DOC));
        List<String> blocks = new ArrayList<>();
        while (m.find()) {
            blocks.add(m.group(1));
        }
        return blocks;
    }

    @Test
    void docShowsEachExampleFileVerbatim() throws Exception {
        List<String> blocks = javaBlocks();
        List<String> files = List.of("ClassifyFolder.java", "TrainWithRecipe.java", "PerInputMacs.java",
                "SlimmableWidths.java");
        assertEquals(files.size(), blocks.size(), "one java block per example");
        for (int i = 0; i < files.size(); i++) {
            assertEquals(Files.readString(EXAMPLES.resolve(files.get(i))), blocks.get(i), files.get(i));
        }
    }

    @Test
    void classifyFolderNamesTheClassTheModelRanksFirst() throws Exception {
        List<String> names = List.of("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                "Sneaker", "Bag", "Ankle boot");
        Path weights = tmp.resolve("w.safetensors");
        ModelOptions options = new ModelOptions(10, 1, 28, false, null, null);
        WeightsMetadata.Preprocessing pre = new WeightsMetadata.Preprocessing(28, new float[] {0.286f},
                new float[] {0.353f}, 1.0, "bicubic");
        try (Network net = Network.create("tiny_test_cnn", options, Device.cpu(), 5)) {
            StateDicts.save(net.module(), weights, net.describe(pre, names, Map.of()).toStrings());
        }
        Path folder = Files.createDirectories(tmp.resolve("images"));
        Files.writeString(folder.resolve("readme.txt"), "not an image");
        List<ByteImage> images = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            ByteImage img = Datasets.fashionSubset().val().get(i * 300).image();
            images.add(img);
            BufferedImage b = new BufferedImage(28, 28, BufferedImage.TYPE_BYTE_GRAY);
            for (int y = 0; y < 28; y++) {
                for (int x = 0; x < 28; x++) {
                    b.getRaster().setSample(x, y, 0, img.get(x, y, 0));
                }
            }
            javax.imageio.ImageIO.write(b, "png", folder.resolve(i + ".png").toFile());
        }
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        ClassifyFolder.classify(weights, folder, new PrintStream(buf, true, StandardCharsets.UTF_8));
        String[] lines = buf.toString(StandardCharsets.UTF_8).strip().split("\n");
        assertEquals(3, lines.length, Arrays.toString(lines));
        try (Network net = Network.create("tiny_test_cnn", options, Device.cpu(), 0);
             NDManager m = NDManager.newBaseManager()) {
            StateDicts.load(net.module(), weights);
            for (int i = 0; i < 3; i++) {
                float[] x = new float[28 * 28];
                for (int p = 0; p < x.length; p++) {
                    x[p] = ((images.get(i).pixels()[p] & 0xff) / 255f - 0.286f) / 0.353f;
                }
                int best = (int) net.predict(m.create(x, new Shape(1, 1, 28, 28))).argMax(1).getLong(0);
                assertTrue(lines[i].startsWith(i + ".png: " + names.get(best) + " ("), lines[i]);
            }
        }
    }

    @Test
    void trainWithRecipeWritesWeightsThatDescribeThemselves() throws Exception {
        TrainSummary s = TrainWithRecipe.train("tiny_test_cnn", tmp.resolve("run"), 1, 128,
                new PrintStream(OutputStream.nullOutputStream()));
        assertEquals(1, s.epochs());
        assertEquals(128, s.trainSamples());
        assertEquals("sgd", s.opt()); // the recipe's optimizer
        Map<String, String> meta = SafeTensors.readMetadata(tmp.resolve("run").resolve("best.safetensors"));
        assertEquals("tiny_test_cnn", meta.get("model"));
        JsonObject run = new Gson().fromJson(meta.get("run"), JsonObject.class);
        assertEquals("TrainWithRecipe", run.get("source").getAsString());
        assertTrue(Files.size(tmp.resolve("run").resolve("plot.png")) > 0);
    }

    /**
     * stem: 16 filters x 14x14 outputs x 1x3x3 = 28,224 MACs; fc 16x10 = 160; the deep conv adds
     * 16 x 14x14 x 16x3x3 = 451,584. Every input costs one of the two totals, and the batch has both kinds.
     */
    @Test
    void perInputMacsAreThoseOfThePathEachInputTook() {
        long exit = 28_224 + 160;
        long deep = exit + 451_584;
        long[] macs = PerInputMacs.macsPerInput(16, new PrintStream(OutputStream.nullOutputStream()));
        assertEquals(16, macs.length);
        for (long v : macs) {
            assertTrue(v == exit || v == deep, "MACs " + v + " is neither path's cost");
        }
        assertTrue(Arrays.stream(macs).anyMatch(v -> v == exit) && Arrays.stream(macs).anyMatch(v -> v == deep),
                Arrays.toString(macs));
    }

    @Test
    void slimmableWidthsReportsAChoiceAndCostPerInput() {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        // the same architecture rules at the fixture's small widths, so the test stays fast
        DsNetTiny.register();
        int[] choices = SlimmableWidths.run(DsNetTiny.NAME, 4, new PrintStream(buf, true, StandardCharsets.UTF_8));
        String text = buf.toString(StandardCharsets.UTF_8);
        assertEquals(4, choices.length);
        for (int c : choices) assertTrue(c >= 0 && c < 4, "a routing choice: " + c);
        assertTrue(text.contains("uniform:3 logits (4, 10)") && text.contains("input 3: width uniform:"), text);
    }
}
