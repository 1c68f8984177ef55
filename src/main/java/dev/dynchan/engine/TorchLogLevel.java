package dev.dynchan.engine;

import jdk.incubator.foreign.MemoryAccess;
import jdk.incubator.foreign.MemoryAddress;
import jdk.incubator.foreign.ResourceScope;
import jdk.incubator.foreign.SymbolLookup;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Sets libtorch's C++ log threshold ({@code FLAGS_caffe2_log_level} in libc10). libtorch 2.7.1 writes "Could not
 * initialize NNPACK! Reason: Unsupported hardware." for every small batch-1 conv it does not hand to oneDNN (e.g.
 * [1,2048,1,1] inputs, 32 px ResNets) on CPUs without NNPACK support: its availability check logs each time instead
 * of once (45 lines for 7 forwards of resnet50 at 32 px). DJL does not call {@code c10::initLogging}, so
 * {@code TORCH_CPP_LOG_LEVEL} is not read; the flag is written here through the foreign-memory API instead.
 * libtorch's user-facing warnings ({@code TORCH_WARN}) use another channel and are not affected.
 */
final class TorchLogLevel {
    private TorchLogLevel() { }

    /** 0 INFO, 1 WARNING, 2 ERROR, 3 FATAL. Returns false when libc10 or the flag could not be found. */
    static boolean set(int level) throws IOException {
        Optional<MemoryAddress> flag = flag();
        flag.ifPresent(a -> MemoryAccess.setInt(a.asSegment(4, ResourceScope.globalScope()), level));
        return flag.isPresent();
    }

    /** The current threshold, if libc10 and its flag were found. */
    static Optional<Integer> get() throws IOException {
        return flag().map(a -> MemoryAccess.getInt(a.asSegment(4, ResourceScope.globalScope())));
    }

    private static Optional<MemoryAddress> flag() throws IOException {
        Optional<Path> c10 = Files.readAllLines(Path.of("/proc/self/maps")).stream()
                .map(line -> line.split("\\s+", 6)) // address perms offset dev inode path (path may hold spaces)
                .filter(f -> f.length == 6 && f[5].endsWith("/libc10.so"))
                .map(f -> f[5])
                .findFirst().map(Path::of);
        if (c10.isEmpty()) {
            return Optional.empty();
        }
        // already mapped by the dynamic linker; loading it again through this class loader makes its symbols
        // visible to loaderLookup (same handle, no second copy)
        System.load(c10.get().toString());
        return SymbolLookup.loaderLookup().lookup("FLAGS_caffe2_log_level");
    }
}
