// JNI shim: creates a c10d::TCPStore inside the libtorch that DJL has already loaded.
//
// Why a shim at all: the JavaCPP presets (org.bytedeco:pytorch 2.7.1-1.5.12) bind ProcessGroupGloo, ProcessGroup
// and Reducer, but no concrete c10d::Store (TCPStore, FileStore and HashStore are absent from the Java classes and
// from libjnitorch.so), and a store is the one thing every process group needs. libtorch_cpu.so 2.7.1 exports the
// TCPStore constructor, so this file only declares what it needs to call it; no libtorch header is required (none
// is published on Maven Central or in Debian for 2.7.1).
//
// The declarations below follow libtorch 2.7.1's ABI. The layout of TCPStoreOptions was checked against the field
// offsets that the exported constructor reads (docs/design/distributed.md); the static_asserts pin it.
#include <jni.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <new>
#include <optional>
#include <string>
#include <vector>

namespace c10 {
namespace detail {
template <class T>
struct intrusive_target_default_null_type;
}  // namespace detail

// Stands in for c10::intrusive_ptr when passing objects made here to libtorch's constructors: the same mangled
// name and the same ABI (one pointer; a non-trivial destructor, so it travels by reference like the real one). It
// never changes a count: every object it carries is pinned (see pin()) and lives until the process exits.
template <class T, class NullType = detail::intrusive_target_default_null_type<T>>
class intrusive_ptr {
 public:
    explicit intrusive_ptr(T* target) : target_(target) { }
    intrusive_ptr(const intrusive_ptr& other) : target_(other.target_) { }
    ~intrusive_ptr() { }

    T* get() const { return target_; }

 private:
    T* target_;
};

// The base of every c10d object: a vtable whose first entries are the destructor and release_resources(), then the
// strong and the weak count. Declared (never defined or instantiated here) so that release() below can drop a
// reference the way intrusive_ptr does, through the object's own vtable.
class intrusive_ptr_target {
 public:
    virtual ~intrusive_ptr_target();
    virtual void release_resources();
    std::atomic<std::uint32_t> refcount_;
    std::atomic<std::uint32_t> weakcount_;
};
}  // namespace c10

namespace at {
class Tensor;
}  // namespace at

namespace c10d {
struct TCPStoreOptions {
    std::uint16_t port;
    bool isServer;
    std::optional<std::size_t> numWorkers;
    bool waitWorkers;
    std::chrono::milliseconds timeout;
    bool multiTenant;
    std::optional<int> masterListenFd;
    bool useLibUV;
};

// Only the constructors are called from here; methods go through the JavaCPP bindings, on the objects made here.
class Store;
struct AllreduceOptions;
struct BroadcastOptions;
struct BarrierOptions;
class Work {
 public:
    // Not virtual here on purpose: the exported definition is the one every Gloo work uses (ProcessGroupGloo's
    // AsyncWork does not override wait in 2.7.1), and calling it by name needs no vtable layout.
    bool wait(std::chrono::milliseconds timeout);
};
class TCPStore {
 public:
    TCPStore(std::string host, const TCPStoreOptions& opts);
};
class ProcessGroup {
 public:
    ProcessGroup(c10::intrusive_ptr<Store> store, int rank, int size);
};
class ProcessGroupGloo {
 public:
    struct Options {
        explicit Options(std::chrono::milliseconds timeout);
    };
    ProcessGroupGloo(const c10::intrusive_ptr<Store>& store, int rank, int size, c10::intrusive_ptr<Options> options);
    // Virtual in libtorch; called here by their exported names, which are ProcessGroupGloo's own implementations.
    c10::intrusive_ptr<Work> allreduce(std::vector<at::Tensor>& tensors, const AllreduceOptions& opts);
    c10::intrusive_ptr<Work> broadcast(std::vector<at::Tensor>& tensors, const BroadcastOptions& opts);
    c10::intrusive_ptr<Work> barrier(const BarrierOptions& opts);
};
}  // namespace c10d

static_assert(sizeof(c10d::TCPStoreOptions) == 56, "TCPStoreOptions layout of libtorch 2.7.1");
static_assert(offsetof(c10d::TCPStoreOptions, numWorkers) == 8, "TCPStoreOptions layout of libtorch 2.7.1");
static_assert(offsetof(c10d::TCPStoreOptions, timeout) == 32, "TCPStoreOptions layout of libtorch 2.7.1");
static_assert(offsetof(c10d::TCPStoreOptions, masterListenFd) == 44, "TCPStoreOptions layout of libtorch 2.7.1");
static_assert(offsetof(c10d::TCPStoreOptions, useLibUV) == 52, "TCPStoreOptions layout of libtorch 2.7.1");

namespace {
// Generously above sizeof(c10d::TCPStore) in 2.7.1 (its constructor writes up to offset 0xd8); the object is never
// destroyed (see pin), so the exact size never reaches a sized delete.
constexpr std::size_t kTcpStoreBytes = 4096;
// The same margin for the process group objects (ProcessGroupGloo is the largest, below 0x200 in 2.7.1).
constexpr std::size_t kObjectBytes = 4096;

// c10::intrusive_ptr_target: vtable pointer, then the strong and the weak count as 32-bit atomics. JavaCPP hands a
// Store that Java did not allocate to C++ by "reclaiming" it (taking over one strong reference without adding one)
// and drops that reference after each call, so every call that takes an intrusive_ptr<Store> costs one reference.
// The store must outlive every process group that uses it (rank 0's also serves the other ranks), so it is pinned
// with a count no run comes near and lives until the process exits.
constexpr std::uint32_t kPinnedRefs = 1u << 30;

void pin(void* target) {
    auto* counts = reinterpret_cast<std::atomic<std::uint32_t>*>(static_cast<char*>(target) + sizeof(void*));
    counts[0].store(kPinnedRefs);
    counts[1].store(1);
}

void throwJava(JNIEnv* env, const char* message) {
    jclass cls = env->FindClass("java/lang/IllegalStateException");
    if (cls != nullptr) {
        env->ThrowNew(cls, message);
    }
}
}  // namespace

/** Runs {@code make}, which constructs into {@code mem}; returns the pinned object or throws into Java. */
template <class F>
jlong construct(JNIEnv* env, std::size_t bytes, const char* what, F make) {
    void* mem = ::operator new(bytes);
    try {
        make(mem);
    } catch (const std::exception& e) {
        ::operator delete(mem);
        throwJava(env, e.what());
        return 0;
    } catch (...) {
        ::operator delete(mem);
        throwJava(env, what);
        return 0;
    }
    pin(mem);
    return reinterpret_cast<jlong>(mem);
}

template <class T>
T* object(jlong address) { return reinterpret_cast<T*>(address); }

// Drops one strong reference like c10::intrusive_ptr's reset: at zero, release_resources() unless only the implicit
// weak reference is left, then delete once the weak count is gone too.
void release(c10::intrusive_ptr_target* t) {
    if (t == nullptr || t->refcount_.fetch_sub(1) != 1) {
        return;
    }
    bool last = t->weakcount_.load() == 1;
    if (!last) {
        t->release_resources();
        last = t->weakcount_.fetch_sub(1) == 1;
    }
    if (last) {
        delete t;
    }
}

// JavaCPP returns intrusive_ptr<Work> to Java without keeping a reference (its adapter drops it before Java sees
// the pointer), so a collective's Work cannot be waited on from Java. These run the collective, wait for it here
// (rethrowing its error into Java) and release the Work.
template <class F>
void collective(JNIEnv* env, long timeoutMs, const char* what, F start) {
    c10d::Work* work = nullptr;
    try {
        work = start().get();
        work->wait(std::chrono::milliseconds(timeoutMs));
    } catch (const std::exception& e) {
        release(reinterpret_cast<c10::intrusive_ptr_target*>(work));
        throwJava(env, e.what());
        return;
    } catch (...) {
        release(reinterpret_cast<c10::intrusive_ptr_target*>(work));
        throwJava(env, what);
        return;
    }
    release(reinterpret_cast<c10::intrusive_ptr_target*>(work));
}

extern "C" JNIEXPORT void JNICALL Java_dev_dynchan_dist_C10dNative_allreduce(
        JNIEnv* env, jclass, jlong gloo, jlong tensors, jlong opts, jlong timeoutMs) {
    collective(env, timeoutMs, "c10d allreduce: unknown C++ exception", [&] {
        return object<c10d::ProcessGroupGloo>(gloo)->allreduce(*object<std::vector<at::Tensor>>(tensors),
                                                            *object<c10d::AllreduceOptions>(opts));
    });
}

extern "C" JNIEXPORT void JNICALL Java_dev_dynchan_dist_C10dNative_broadcast(
        JNIEnv* env, jclass, jlong gloo, jlong tensors, jlong opts, jlong timeoutMs) {
    collective(env, timeoutMs, "c10d broadcast: unknown C++ exception", [&] {
        return object<c10d::ProcessGroupGloo>(gloo)->broadcast(*object<std::vector<at::Tensor>>(tensors),
                                                            *object<c10d::BroadcastOptions>(opts));
    });
}

extern "C" JNIEXPORT void JNICALL Java_dev_dynchan_dist_C10dNative_barrier(
        JNIEnv* env, jclass, jlong gloo, jlong opts, jlong timeoutMs) {
    collective(env, timeoutMs, "c10d barrier: unknown C++ exception", [&] {
        return object<c10d::ProcessGroupGloo>(gloo)->barrier(*object<c10d::BarrierOptions>(opts));
    });
}

extern "C" JNIEXPORT jlong JNICALL Java_dev_dynchan_dist_C10dNative_newGlooOptions(JNIEnv* env, jclass, jlong timeoutMs) {
    return construct(env, kObjectBytes, "c10d::ProcessGroupGloo::Options: unknown C++ exception", [&](void* mem) {
        new (mem) c10d::ProcessGroupGloo::Options(std::chrono::milliseconds(timeoutMs));
    });
}

extern "C" JNIEXPORT jlong JNICALL Java_dev_dynchan_dist_C10dNative_newProcessGroupGloo(
        JNIEnv* env, jclass, jlong store, jint rank, jint size, jlong options) {
    return construct(env, kObjectBytes, "c10d::ProcessGroupGloo: unknown C++ exception", [&](void* mem) {
        c10::intrusive_ptr<c10d::Store> s(object<c10d::Store>(store));
        c10::intrusive_ptr<c10d::ProcessGroupGloo::Options> o(object<c10d::ProcessGroupGloo::Options>(options));
        new (mem) c10d::ProcessGroupGloo(s, rank, size, o);
    });
}

extern "C" JNIEXPORT jlong JNICALL Java_dev_dynchan_dist_C10dNative_newProcessGroup(
        JNIEnv* env, jclass, jlong store, jint rank, jint size) {
    return construct(env, kObjectBytes, "c10d::ProcessGroup: unknown C++ exception", [&](void* mem) {
        new (mem) c10d::ProcessGroup(c10::intrusive_ptr<c10d::Store>(object<c10d::Store>(store)), rank, size);
    });
}

extern "C" JNIEXPORT jlong JNICALL Java_dev_dynchan_dist_C10dNative_newTcpStore(
        JNIEnv* env, jclass, jstring host, jint port, jboolean isServer, jint worldSize, jlong timeoutMs) {
    const char* chars = env->GetStringUTFChars(host, nullptr);
    if (chars == nullptr) {
        return 0;
    }
    std::string h(chars);
    env->ReleaseStringUTFChars(host, chars);
    c10d::TCPStoreOptions o{};
    o.port = static_cast<std::uint16_t>(port);
    o.isServer = isServer == JNI_TRUE;
    o.numWorkers = static_cast<std::size_t>(worldSize);
    // The server waits for every worker in its constructor; the clients return once connected.
    o.waitWorkers = true;
    o.timeout = std::chrono::milliseconds(timeoutMs);
    o.multiTenant = false;
    o.masterListenFd = std::nullopt;
    o.useLibUV = true;
    return construct(env, kTcpStoreBytes, "c10d::TCPStore: unknown C++ exception", [&](void* mem) {
        new (mem) c10d::TCPStore(std::move(h), o);
    });
}
