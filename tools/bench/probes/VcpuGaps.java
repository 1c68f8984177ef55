// How often this machine takes a busy thread off its vCPU: THREADS threads each spin on System.nanoTime() for SECONDS
// seconds and count the jumps longer than 0.1 ms between two consecutive reads (time the thread did not run), their
// total and the longest. Behind docs/design/fbs.md, "Two speeds on a Zen 1 guest".
// Run: java tools/bench/probes/VcpuGaps.java THREADS SECONDS
public class VcpuGaps {
    public static void main(String[] a) throws InterruptedException {
        int threads = Integer.parseInt(a[0]);
        long seconds = Long.parseLong(a[1]);
        long[][] res = new long[threads][3];
        Thread[] ts = new Thread[threads];
        for (int i = 0; i < threads; i++) {
            int id = i;
            ts[i] = new Thread(() -> {
                long end = System.nanoTime() + seconds * 1_000_000_000L;
                long prev = System.nanoTime();
                long gaps = 0;
                long total = 0;
                long longest = 0;
                for (long now = System.nanoTime(); now < end; now = System.nanoTime()) {
                    long d = now - prev;
                    if (d > 100_000) {
                        gaps++;
                        total += d;
                        longest = Math.max(longest, d);
                    }
                    prev = now;
                }
                res[id][0] = gaps;
                res[id][1] = total;
                res[id][2] = longest;
            });
            ts[i].start();
        }
        for (Thread t : ts) t.join();
        for (int i = 0; i < threads; i++) {
            System.out.printf(java.util.Locale.ROOT, "thread %d: %d gaps over 0.1 ms, %.1f ms in all of %d s, longest %.2f ms%n",
                    i, res[i][0], res[i][1] / 1e6, seconds, res[i][2] / 1e6);
        }
    }
}
