package dev.dynchan.exec.rules;

import dev.dynchan.exec.graph.Graph;

/**
 * One rewrite of a traced graph (ONNX Runtime's optimizer has the same shape: a rule per fusion, listed in one
 * place, the model never knowing which rules touch it). A rule returns the graph unchanged where its pattern does
 * not occur; it must keep the graph's results equal up to float rounding.
 */
public interface Rule {
    /** Short name, printed in plans. */
    String name();

    Graph apply(Graph g);
}
