package dev.dynchan.data;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** DistributedSampler semantics of {@link Shard}. */
class ShardTest {
    static int[] order(int n) {
        int[] o = new int[n];
        for (int i = 0; i < n; i++) o[i] = (i * 7 + 3) % n; // a permutation (7 and n coprime below)
        return o;
    }

    @Test
    void paddedShardsAreEqualAndCoverEverySampleOnce() {
        int n = 10;
        int[] o = order(n);
        List<Integer> all = new ArrayList<>();
        for (int r = 0; r < 4; r++) {
            int[] s = new Shard(r, 4, true).apply(o);
            assertEquals(3, s.length, "ceil(10/4) for every rank");
            for (int v : s) all.add(v);
        }
        // 12 slots: the 10 samples once, plus the first 2 of the order again (torch pads with the head)
        assertEquals(12, all.size());
        assertEquals(Set.of(0, 1, 2, 3, 4, 5, 6, 7, 8, 9), new HashSet<>(all));
        List<Integer> extra = new ArrayList<>(all);
        for (int v = 0; v < n; v++) extra.remove(Integer.valueOf(v));
        extra.sort(null);
        List<Integer> head = new ArrayList<>(List.of(o[0], o[1]));
        head.sort(null);
        assertEquals(head, extra);
    }

    @Test
    void unpaddedShardsAreDisjointAndAddUpExactly() {
        int n = 11;
        int[] o = order(n);
        Set<Integer> seen = new HashSet<>();
        int total = 0;
        for (int r = 0; r < 3; r++) {
            Shard sh = new Shard(r, 3, false);
            int[] s = sh.apply(o);
            assertEquals(sh.size(n), s.length);
            assertEquals(r < 2 ? 4 : 3, s.length);
            for (int v : s) assertTrue(seen.add(v), "sample " + v + " twice");
            total += s.length;
        }
        assertEquals(n, total);
    }

    @Test
    void rankBatchesTogetherAreTheSingleProcessBatch() {
        // batch b of each of W ranks (batch B) = batch b of one process with batch W*B, as sets
        int n = 48;
        int w = 3;
        int b = 4;
        int[] o = order(n);
        for (int batch = 0; batch < n / (w * b); batch++) {
            Set<Integer> ranks = new HashSet<>();
            for (int r = 0; r < w; r++) {
                int[] s = new Shard(r, w, true).apply(o);
                for (int i = batch * b; i < (batch + 1) * b; i++) ranks.add(s[i]);
            }
            Set<Integer> single = new HashSet<>();
            for (int i = batch * w * b; i < (batch + 1) * w * b; i++) single.add(o[i]);
            assertEquals(single, ranks, "batch " + batch);
        }
    }

    @Test
    void oneProcessTakesTheOrderAsItIs() {
        int[] o = order(9);
        assertTrue(Arrays.equals(o, Shard.NONE.apply(o)));
        assertThrows(IllegalArgumentException.class, () -> new Shard(2, 2, true));
    }
}
