package dev.dynchan.exec.graph;

import java.util.List;

/**
 * A traced forward that routes each sample by the argmax of a tensor it computed
 * ({@link dev.dynchan.nn.BatchRouting#routeByArgmax}): the {@link #prefix} up to the routing (its output the routed
 * tensor, its one extra output the scores), one graph per group's {@link Route#paths path} (input: a sub-batch of the
 * routed tensor), and the {@link #suffix} after the merge (null when the merged result is the model's output). A
 * forward without routing has only a prefix: the whole model.
 */
public record RoutedGraph(Graph prefix, Route route, Graph suffix) {
    /**
     * @param scope  the module that routed
     * @param paths  graph of group k's path at index k
     */
    public record Route(String scope, List<Graph> paths) {
        public Route {
            paths = List.copyOf(paths);
        }
    }

    /** The graph of a forward without routing. */
    public static RoutedGraph whole(Graph g) { return new RoutedGraph(g, null, null); }

    /** Every graph in it: prefix, paths, suffix. */
    public List<Graph> graphs() {
        java.util.List<Graph> all = new java.util.ArrayList<>();
        all.add(prefix);
        if (route != null) all.addAll(route.paths());
        if (suffix != null) all.add(suffix);
        return all;
    }
}
