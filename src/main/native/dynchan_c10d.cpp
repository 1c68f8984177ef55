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

 private:
    T* target_;
};
}  // namespace c10

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
T* at(jlong address) { return reinterpret_cast<T*>(address); }

extern "C" JNIEXPORT jlong JNICALL Java_dev_dynchan_dist_C10dNative_newGlooOptions(JNIEnv* env, jclass, jlong timeoutMs) {
    return construct(env, kObjectBytes, "c10d::ProcessGroupGloo::Options: unknown C++ exception", [&](void* mem) {
        new (mem) c10d::ProcessGroupGloo::Options(std::chrono::milliseconds(timeoutMs));
    });
}

extern "C" JNIEXPORT jlong JNICALL Java_dev_dynchan_dist_C10dNative_newProcessGroupGloo(
        JNIEnv* env, jclass, jlong store, jint rank, jint size, jlong options) {
    return construct(env, kObjectBytes, "c10d::ProcessGroupGloo: unknown C++ exception", [&](void* mem) {
        c10::intrusive_ptr<c10d::Store> s(at<c10d::Store>(store));
        c10::intrusive_ptr<c10d::ProcessGroupGloo::Options> o(at<c10d::ProcessGroupGloo::Options>(options));
        new (mem) c10d::ProcessGroupGloo(s, rank, size, o);
    });
}

extern "C" JNIEXPORT jlong JNICALL Java_dev_dynchan_dist_C10dNative_newProcessGroup(
        JNIEnv* env, jclass, jlong store, jint rank, jint size) {
    return construct(env, kObjectBytes, "c10d::ProcessGroup: unknown C++ exception", [&](void* mem) {
        new (mem) c10d::ProcessGroup(c10::intrusive_ptr<c10d::Store>(at<c10d::Store>(store)), rank, size);
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
