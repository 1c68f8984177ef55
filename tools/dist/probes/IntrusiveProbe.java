package dev.dynchan.dist;

import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.pytorch.ProcessGroupGloo;
import org.bytedeco.pytorch.ReduceOp;

/**
 * Probe C: JavaCPP 1.5.12 and c10d's intrusive_ptr objects. Prints the strong count (the 32-bit word after the
 * vtable pointer) of objects JavaCPP allocates or returns. A live c10d object has a count of at least 1; the
 * Options below show heap garbage (they were freed before Java got the pointer), while a plain C++ object that
 * JavaCPP owns (ReduceOp allocated with new, count 0 because no intrusive_ptr holds it) keeps a deallocator.
 */
public class IntrusiveProbe {
    static int count(Pointer p) {
        long a = p.address() + 8;
        return new IntPointer(new Pointer() { { address = a; } }).get();
    }

    public static void main(String[] args) {
        Natives.load();
        ProcessGroupGloo.Options allocated = new ProcessGroupGloo.Options();
        System.out.println("new ProcessGroupGloo.Options(): strong count " + count(allocated) + ", " + allocated);
        ProcessGroupGloo.Options returned = ProcessGroupGloo.Options.create();
        System.out.println("ProcessGroupGloo.Options.create(): strong count " + count(returned) + ", " + returned);
        ReduceOp op = new ReduceOp(ReduceOp.RedOpType.SUM);
        System.out.println("new ReduceOp(SUM): strong count " + count(op) + ", " + op);
        long pinned = C10dNative.newGlooOptions(1000);
        System.out.println("shim newGlooOptions: strong count " + count(new Pointer() { { address = pinned; } }));
    }
}
