package dev.dynchan.dist;

/** The JNI entry points of {@code libdynchan_c10d.so} (src/main/native/dynchan_c10d.cpp). */
final class C10dNative {
    private C10dNative() { }

    /**
     * Creates a {@code c10d::TCPStore} and returns its address (an immortal object: see the shim). On the server
     * ({@code isServer}) the constructor listens on {@code port} and returns once {@code worldSize} clients have
     * connected (itself included); on a client it returns once connected.
     *
     * @throws IllegalStateException with libtorch's message when the store cannot be reached or bound in time
     */
    static native long newTcpStore(String host, int port, boolean isServer, int worldSize, long timeoutMs);

    /** A pinned {@code c10d::ProcessGroupGloo::Options} with this collective timeout and no devices yet. */
    static native long newGlooOptions(long timeoutMs);

    /** A pinned {@code c10d::ProcessGroupGloo}: connects the full mesh through the store (blocking). */
    static native long newProcessGroupGloo(long store, int rank, int size, long options);

    /**
     * Runs {@code ProcessGroupGloo::allreduce} on a {@code std::vector<at::Tensor>} (a JavaCPP TensorVector's
     * address) with {@code c10d::AllreduceOptions} at {@code opts}, and waits for it.
     *
     * @throws IllegalStateException with Gloo's message when a peer fails or the timeout passes
     */
    static native void allreduce(long gloo, long tensors, long opts, long timeoutMs);

    /** The same for {@code broadcast} with {@code c10d::BroadcastOptions}. */
    static native void broadcast(long gloo, long tensors, long opts, long timeoutMs);

    /** The same for {@code barrier} with {@code c10d::BarrierOptions}. */
    static native void barrier(long gloo, long opts, long timeoutMs);

    /** A pinned {@code c10d::ProcessGroup} without backends. */
    static native long newProcessGroup(long store, int rank, int size);
}
