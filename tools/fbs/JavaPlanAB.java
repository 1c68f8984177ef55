import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;

/**
 * Two builds of FBS's Java plan (fbs_resnet18, 224 px, random input) timed against each other in one JVM, so
 * that a noisy VM's slow and fast periods hit both alike: each build's classes load in a class loader of their own,
 * beside one shared copy of DJL and its native engine; rounds alternate the order (A B, then B A) and time CALLS calls
 * per side, and the per-round ratio of the medians is what to read. Both plans warm up first (C2 compiles each build's
 * kernels separately).
 * Between timed calls (untimed), from the environment: FLUSH_MB=N writes over N MB (as `bench` has other models
 * run between two calls of one plan: each call then starts with its buffers out of the caches), SPIN_MS=N keeps the
 * calling thread busy for N ms, SLEEP_MS=N sleeps N ms.
 * Usage (each jar a built target/dynchan.jar):
 *   [FLUSH_MB=64 | SPIN_MS=10 | SLEEP_MS=10] java --add-modules jdk.incubator.vector tools/fbs/JavaPlanAB.java A.jar B.jar DENSITY THREADS ROUNDS [CALLS [BATCH]]
 */
public class JavaPlanAB {
    /** DJL and everything else from the first jar; the project's own classes never (each build brings its own). */
    static final class Shared extends URLClassLoader {
        Shared(URL jar) {
            super(new URL[] {jar}, ClassLoader.getPlatformClassLoader());
        }

        @Override
        protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
            if (name.startsWith("dev.dynchan.")) throw new ClassNotFoundException(name);
            return super.loadClass(name, resolve);
        }
    }

    record Side(String name, Object plan, Method run) { }

    public static void main(String[] a) throws Exception {
        Path ja = Path.of(a[0]);
        Path jb = Path.of(a[1]);
        double d = Double.parseDouble(a[2]);
        int threads = Integer.parseInt(a[3]);
        int rounds = Integer.parseInt(a[4]);
        int calls = a.length > 5 ? Integer.parseInt(a[5]) : 15;
        int batch = a.length > 6 ? Integer.parseInt(a[6]) : 1;
        Shared shared = new Shared(ja.toUri().toURL());
        Thread.currentThread().setContextClassLoader(shared);
        Class<?> shape = shared.loadClass("ai.djl.ndarray.types.Shape");
        Class<?> ndArray = shared.loadClass("ai.djl.ndarray.NDArray");
        Class<?> ndManager = shared.loadClass("ai.djl.ndarray.NDManager");
        Object sample = shape.getConstructor(long[].class).newInstance((Object) new long[] {3, 224, 224});
        Side[] sides = new Side[2];
        Object x = null;
        for (int s = 0; s < 2; s++) {
            URLClassLoader own = new URLClassLoader(new URL[] {(s == 0 ? ja : jb).toUri().toURL()}, shared);
            Thread.currentThread().setContextClassLoader(own);
            own.loadClass("dev.dynchan.engine.Engines").getMethod("start", int.class).invoke(null, threads);
            Class<?> options = own.loadClass("dev.dynchan.models.ModelOptions");
            Object o = options.getMethod("withDensity", Double.class).invoke(options.getMethod("defaults").invoke(null), d);
            Class<?> network = own.loadClass("dev.dynchan.models.Network");
            Object net = network.getMethod("create", String.class, options).invoke(null, "fbs_resnet18", o);
            Object module = network.getMethod("module").invoke(net);
            Class<?> planClass = own.loadClass("dev.dynchan.exec.FbsJavaPlan");
            Object plan = planClass.getMethod("compile", own.loadClass("dev.dynchan.models.FbsResNet"), shape, int.class,
                    boolean.class).invoke(null, module, sample, threads, false);
            if (x == null) {
                Object m = network.getMethod("manager").invoke(net);
                x = ndManager.getMethod("randomNormal", shape).invoke(m,
                        shape.getConstructor(long[].class).newInstance((Object) new long[] {batch, 3, 224, 224}));
            }
            sides[s] = new Side(s == 0 ? "A" : "B", plan, planClass.getMethod("run", ndArray));
        }
        Method close = ndArray.getMethod("close");
        for (int i = 0; i < Math.max(20, 300 / batch); i++) { // C2 compiles the kernels of both builds
            for (Side s : sides) close.invoke(s.run.invoke(s.plan, x));
        }
        String flushMb = System.getenv("FLUSH_MB");
        long[] flush = new long[flushMb == null ? 0 : Integer.parseInt(flushMb) << 17];
        double[] ratio = new double[rounds];
        double[][] med = new double[2][rounds];
        for (int r = 0; r < rounds; r++) {
            for (int k = 0; k < 2; k++) {
                int s = (k + r) % 2;
                double[] t = new double[calls];
                for (int i = 0; i < calls; i++) {
                    for (int j = 0; j < flush.length; j += 8) flush[j] += i; // a write per 64-byte line
                    if (System.getenv("SPIN_MS") != null) {
                        long end = System.nanoTime() + Integer.parseInt(System.getenv("SPIN_MS")) * 1_000_000L;
                        while (System.nanoTime() < end) { Thread.onSpinWait(); }
                    }
                    if (System.getenv("SLEEP_MS") != null) {
                        try {
                            Thread.sleep(Integer.parseInt(System.getenv("SLEEP_MS")));
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    }
                    long t0 = System.nanoTime();
                    close.invoke(sides[s].run.invoke(sides[s].plan, x));
                    t[i] = (System.nanoTime() - t0) / 1e6;
                }
                Arrays.sort(t);
                med[s][r] = t[calls / 2];
            }
            ratio[r] = med[0][r] / med[1][r];
            System.out.printf(Locale.ROOT, "round %2d: A %.2f ms, B %.2f ms, A/B %.3f%n", r + 1, med[0][r], med[1][r],
                    ratio[r]);
        }
        double[] sorted = ratio.clone();
        Arrays.sort(sorted);
        System.out.printf(Locale.ROOT, "d=%.2f, batch %d, %d threads, %d rounds of %d calls: A/B median %.3f (quartiles %.3f-%.3f)%n",
                d, batch, threads, rounds, calls, sorted[rounds / 2], sorted[rounds / 4], sorted[3 * rounds / 4]);
        System.exit(0); // the plans' worker threads
    }
}
