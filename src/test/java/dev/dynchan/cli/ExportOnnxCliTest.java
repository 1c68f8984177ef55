package dev.dynchan.cli;

import dev.dynchan.TestSupport;
import dev.dynchan.exec.onnx.OnnxGraph;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code export --output M.onnx}: the file, its declared shapes, and the option errors. */
class ExportOnnxCliTest {
    @TempDir
    Path tmp;

    @BeforeAll
    static void engine() { TestSupport.engine(); }

    @Test
    void writesAnOnnxFileWithTheModelsShapes() throws Exception {
        Path out = tmp.resolve("r18.onnx");
        CliRun.Result r = CliRun.ok("export", "--model", "resnet18", "--input-size", "32", "--num-classes", "10",
                "--output", out.toString(), "--bn", "unfolded");
        assertTrue(r.out().contains("ONNX opset 17"), r.out());
        OnnxGraph g = OnnxGraph.decodeModel(Files.readAllBytes(out));
        assertArrayEquals(new long[] {-1, 3, 32, 32}, g.inputs.get(0).dims());
        assertArrayEquals(new long[] {-1, 10}, g.outputs.get(0).dims());
        assertEquals(20, g.nodes.stream().filter(n -> n.opType().equals("BatchNormalization")).count());
    }

    @Test
    void formatAndBnMistakesAreOneLine() {
        CliRun.userError(CliRun.args("export", "--model", "resnet18", "--output", tmp.resolve("a.onnx").toString(),
                "--format", "pth"), "--format pth contradicts --output");
        CliRun.userError(CliRun.args("export", "--model", "resnet18", "--output", tmp.resolve("a.dat").toString()),
                "give --format");
        CliRun.userError(CliRun.args("export", "--model", "resnet18", "--output", tmp.resolve("a.onnx").toString(),
                "--bn", "half"), "--bn 'half'");
    }
}
