package dev.dynchan.exec.graph;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * One op of a traced graph: its kind (the {@link dev.dynchan.nn.OpEvent} vocabulary, plus kinds that rules
 * introduce), the module path it came from, its inputs (null for an absent optional input such as a bias), its
 * output and attributes.
 */
public final class Node {
    public final String op;
    public final String scope;
    public final List<Value> inputs;
    public final Value output;
    public final Map<String, Object> attrs;

    public Node(String op, String scope, List<Value> inputs, Value output, Map<String, Object> attrs) {
        this.op = op;
        this.scope = scope;
        this.inputs = Collections.unmodifiableList(new ArrayList<>(inputs));
        this.output = output;
        this.attrs = Map.copyOf(attrs);
    }

    public Value input(int i) { return i < inputs.size() ? inputs.get(i) : null; }

    public int intAttr(String name) { return ((Number) attrs.get(name)).intValue(); }

    public float floatAttr(String name) { return ((Number) attrs.get(name)).floatValue(); }

    public long[] longsAttr(String name) { return (long[]) attrs.get(name); }

    public int[] intsAttr(String name) { return (int[]) attrs.get(name); }

    /** The same op with other inputs (a rule's rewrite). */
    public Node withInputs(List<Value> newInputs) { return new Node(op, scope, newInputs, output, attrs); }

    @Override
    public String toString() {
        return output + " = " + op + inputs + (attrs.isEmpty() ? "" : " " + attrs) + "  # " + scope;
    }
}
