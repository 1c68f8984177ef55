package dev.dynchan.io;

import dev.dynchan.io.Unpickler.PyBytes;
import dev.dynchan.io.Unpickler.PyTuple;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The restricted unpickler on plain Python values, every protocol, and its caps. */
class UnpicklerTest {
    /**
     * pickle.dumps(obj, protocol=p) for p = 0..5 with Python 3.11, where obj = {'a': [1, -2, 2.5, 'xé中', None, True,
     * False, (1, 2)], 'b': b'\\x00\\xff', 'big': 2**100, 'neg': -(2**70), 'i': 70000, 'j': -5, 's': {1, 2},
     * 'fs': frozenset([3]), 'ba': bytearray(b'ab'), 't': (), 'n': {'k': [[]]}, 'f': float('inf')}.
     */
    private static final String[] PICKLES = {
            // protocol 0
            "286470300a56610a70310a286c70320a49310a61492d320a6146322e350a615678e95c75346532640a70330a614e61493031"
                + "0a614930300a612849310a49320a7470340a617356620a70350a635f636f646563730a656e636f64650a70360a28565c7530"
                + "303030ff0a70370a566c6174696e310a70380a7470390a527031300a73566269670a7031310a4c3132363736353036303032"
                + "32383232393430313439363730333230353337364c0a73566e65670a7031320a4c2d31313830353931363230373137343131"
                + "3330333432344c0a7356690a7031330a4937303030300a73566a0a7031340a492d350a7356730a7031350a635f5f6275696c"
                + "74696e5f5f0a7365740a7031360a28286c7031370a49310a6149320a61747031380a527031390a735666730a7032300a635f"
                + "5f6275696c74696e5f5f0a66726f7a656e7365740a7032310a28286c7032320a49330a61747032330a527032340a73566261"
                + "0a7032350a635f5f6275696c74696e5f5f0a6279746561727261790a7032360a2867360a285661620a7032370a67380a7470"
                + "32380a527032390a747033300a527033310a7356740a7033320a287473566e0a7033330a28647033340a566b0a7033350a28"
                + "6c7033360a286c7033370a61737356660a7033380a46696e660a732e",
            // protocol 1
            "7d71002858010000006171015d7102284b014afeffffff474004000000000000580600000078c3a9e4b8ad71034e4930310a"
                + "4930300a284b014b02747104655801000000627105635f636f646563730a656e636f64650a710628580300000000c3bf7107"
                + "58060000006c6174696e31710874710952710a5803000000626967710b4c3132363736353036303032323832323934303134"
                + "39363730333230353337364c0a58030000006e6567710c4c2d313138303539313632303731373431313330333432344c0a58"
                + "0100000069710d4a7011010058010000006a710e4afbffffff580100000073710f635f5f6275696c74696e5f5f0a7365740a"
                + "7110285d7111284b014b0265747112527113580200000066737114635f5f6275696c74696e5f5f0a66726f7a656e7365740a"
                + "7115285d71164b0361747117527118580200000062617119635f5f6275696c74696e5f5f0a6279746561727261790a711a28"
                + "68062858020000006162711b680874711c52711d74711e52711f58010000007471202958010000006e71217d712258010000"
                + "006b71235d71245d712561735801000000667126477ff0000000000000752e",
            // protocol 2
            "80027d71002858010000006171015d7102284b014afeffffff474004000000000000580600000078c3a9e4b8ad71034e8889"
                + "4b014b02867104655801000000627105635f636f646563730a656e636f64650a7106580300000000c3bf710758060000006c"
                + "6174696e31710886710952710a5803000000626967710b8a0d0000000000000000000000001058030000006e6567710c8a09"
                + "0000000000000000c0580100000069710d4a7011010058010000006a710e4afbffffff580100000073710f635f5f6275696c"
                + "74696e5f5f0a7365740a71105d7111284b014b0265857112527113580200000066737114635f5f6275696c74696e5f5f0a66"
                + "726f7a656e7365740a71155d71164b0361857117527118580200000062617119635f5f6275696c74696e5f5f0a6279746561"
                + "727261790a711a680658020000006162711b680886711c52711d85711e52711f58010000007471202958010000006e71217d"
                + "712258010000006b71235d71245d712561735801000000667126477ff0000000000000752e",
            // protocol 3
            "80037d71002858010000006171015d7102284b014afeffffff474004000000000000580600000078c3a9e4b8ad71034e8889"
                + "4b014b02867104655801000000627105430200ff7106580300000062696771078a0d00000000000000000000000010580300"
                + "00006e656771088a090000000000000000c058010000006971094a7011010058010000006a710a4afbffffff580100000073"
                + "710b636275696c74696e730a7365740a710c5d710d284b014b026585710e52710f580200000066737110636275696c74696e"
                + "730a66726f7a656e7365740a71115d71124b0361857113527114580200000062617115636275696c74696e730a6279746561"
                + "727261790a7116430261627117857118527119580100000074711a2958010000006e711b7d711c58010000006b711d5d711e"
                + "5d711f61735801000000667120477ff0000000000000752e",
            // protocol 4
            "800495cf000000000000007d94288c0161945d94284b014afeffffff4740040000000000008c0678c3a9e4b8ad944e88894b"
                + "014b028694658c016294430200ff948c03626967948a0d000000000000000000000000108c036e6567948a09000000000000"
                + "0000c08c0169944a701101008c016a944afbffffff8c0173948f94284b014b02908c02667394284b0391948c026261948c08"
                + "6275696c74696e73948c096279746561727261799493944302616294859452948c017494298c016e947d948c016b945d945d"
                + "9461738c016694477ff0000000000000752e",
            // protocol 5
            "800595b9000000000000007d94288c0161945d94284b014afeffffff4740040000000000008c0678c3a9e4b8ad944e88894b"
                + "014b028694658c016294430200ff948c03626967948a0d000000000000000000000000108c036e6567948a09000000000000"
                + "0000c08c0169944a701101008c016a944afbffffff8c0173948f94284b014b02908c02667394284b0391948c026261949602"
                + "000000000000006162948c017494298c016e947d948c016b945d945d9461738c016694477ff0000000000000752e",
    };

    static Object load(byte[] pickle, ReadLimits limits) {
        ByteBuffer b = ByteBuffer.wrap(pickle);
        return new Unpickler(b, 0, pickle.length, "test.pkl", 0, new TorchPolicy(false), limits,
                limits.start("test.pkl")).load();
    }

    static Object load(byte[] pickle) { return load(pickle, ReadLimits.defaults()); }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 2, 3, 4, 5})
    void everyProtocolGivesTheSameValues(int protocol) {
        Object o = load(HexFormat.of().parseHex(PICKLES[protocol]));
        Map<?, ?> m = (Map<?, ?>) o;
        assertEquals(List.of("a", "b", "big", "neg", "i", "j", "s", "fs", "ba", "t", "n", "f"), List.copyOf(m.keySet()));
        List<Object> a = new ArrayList<>(Arrays.asList(1L, -2L, 2.5, "x\u00e9\u4e2d", null, true, false,
                new PyTuple(List.of(1L, 2L))));
        assertEquals(a, m.get("a"));
        assertEquals(new PyBytes(new byte[] {0, (byte) 0xff}), m.get("b"));
        assertEquals(BigInteger.TWO.pow(100), m.get("big"));
        assertEquals(BigInteger.TWO.pow(70).negate(), m.get("neg"));
        assertEquals(70000L, m.get("i"));
        assertEquals(-5L, m.get("j"));
        assertEquals(Set.of(1L, 2L), m.get("s"));
        assertEquals(Set.of(3L), m.get("fs"));
        assertEquals(new PyBytes("ab".getBytes()), m.get("ba"));
        assertEquals(new PyTuple(List.of()), m.get("t"));
        Map<Object, Object> n = new LinkedHashMap<>();
        n.put("k", List.of(List.of()));
        assertEquals(n, m.get("n"));
        assertEquals(Double.POSITIVE_INFINITY, m.get("f"));
    }

    @Test
    void unknownGlobalsAreInertAndCodeRunningOnesAreRefused() {
        // argparse.Namespace(lr=0.1) at protocol 2: NEWOBJ + BUILD on a global that is never looked up
        byte[] ns = HexFormat.of().parseHex("80026361726770617273650a4e616d6573706163650a71002981710"
                + "17d71025802000000" + "6c72" + "7103473fb999999999999a73622e");
        Object o = load(ns);
        assertTrue(o instanceof Unpickler.PyObject p && p.global().dotted().equals("argparse.Namespace"), "" + o);
        for (String g : List.of("os\nsystem", "posix\nsystem", "nt\nsystem", "subprocess\nPopen", "builtins\neval",
                "builtins\nexec", "builtins\ngetattr", "__builtin__\neval", "sys\nmodules", "importlib\nimport_module",
                "torch\nload", "torch.hub\nload", "shutil\nrmtree", "socket\nsocket", "os.path\njoin")) {
            byte[] p = ("\u0080\u0002c" + g + "\n.").getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
            String msg = assertThrows(WeightsException.class, () -> load(p)).getMessage();
            assertTrue(msg.contains("refused global " + g.replace('\n', '.').replace("__builtin__", "builtins")), msg);
            assertTrue(msg.contains("test.pkl offset 2"), msg);
        }
    }

    @Test
    void capsOnMarksMemoAndStack() {
        byte[] marks = new byte[2 + 50 + 1];
        marks[0] = (byte) 0x80;
        marks[1] = 2;
        Arrays.fill(marks, 2, 52, (byte) '(');
        marks[52] = '.';
        String m = assertThrows(WeightsException.class, () -> load(marks, ReadLimits.defaults().withMaxMarks(10)))
                .getMessage();
        assertTrue(m.contains("deeper than 10 MARKs") && m.contains("offset 12"), m);

        ByteBuffer memo = ByteBuffer.allocate(2 + 1 + 200 * 2 + 1);
        memo.put((byte) 0x80).put((byte) 2).put((byte) 'N');
        for (int i = 0; i < 200; i++) memo.put((byte) 'q').put((byte) i);
        memo.put((byte) '.');
        m = assertThrows(WeightsException.class, () -> load(memo.array(), ReadLimits.defaults().withMaxMemo(100)))
                .getMessage();
        assertTrue(m.contains("memo grows past 100 entries"), m);

        // 1.2 million nested lists without a single MARK: built iteratively, never walked recursively.
        int depth = 1_200_000;
        byte[] deep = new byte[2 + depth + (depth - 1) + 1];
        deep[0] = (byte) 0x80;
        deep[1] = 2;
        Arrays.fill(deep, 2, 2 + depth, (byte) ']');
        Arrays.fill(deep, 2 + depth, deep.length - 1, (byte) 'a');
        deep[deep.length - 1] = '.';
        Object top = load(deep, new ReadLimits(1000, 2_000_000, 1 << 20, 4, java.time.Duration.ofSeconds(60)));
        assertTrue(top instanceof List<?>);
        // ... and with the default stack cap the same file is refused, not a StackOverflowError.
        m = assertThrows(WeightsException.class, () -> load(deep)).getMessage();
        assertTrue(m.contains("stack grows past"), m);
    }

    @Test
    void selfReferencesNeverRecurse() {
        // l = []; l.append(l); d = {'l': l}; d['d'] = d — and describing them in an error does not walk them.
        byte[] p = HexFormat.of().parseHex("80027d7100285801000000" + "6c" + "5d710168016158010000006471026800752e");
        Map<?, ?> d = (Map<?, ?>) load(p);
        assertTrue(((List<?>) d.get("l")).get(0) == d.get("l"));
        assertTrue(d.get("d") == d);
        assertEquals("dict", Unpickler.describe(d));
        // A tuple key holding a list is unhashable (as in Python), so no cyclic hashCode is ever computed.
        byte[] key = HexFormat.of().parseHex("80027d5d71003068008571013068006801613068015801000000" + "76" + "732e");
        String m = assertThrows(WeightsException.class, () -> load(key)).getMessage();
        assertTrue(m.contains("dict key of unhashable type tuple"), m);
    }

    @Test
    void timeLimit() {
        String m = assertThrows(WeightsException.class, () -> load(HexFormat.of().parseHex(PICKLES[2]),
                ReadLimits.defaults().withTimeLimit(java.time.Duration.ZERO))).getMessage();
        assertTrue(m.contains("longer than the 0 s limit"), m);
    }
}
