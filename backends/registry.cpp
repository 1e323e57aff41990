// The one place where backends are registered.
#include "backends/registry.h"

#include <atomic>
#include <cstdlib>
#include <memory>
#include <mutex>

#include "backends/cpu/cpu_backend.h"
#include "backends/reference/reference_backend.h"
#ifdef PESO_WITH_CUDA
#include "backends/cuda/gpu_backend_entry.h"
#endif

namespace peso {

namespace {

// The backend registered with the highest priority for the cuda device type
// (the only non-CPU type there is); read on every op, hence atomic.
struct DeviceBackendEntry {
    std::string name;
    int priority = 0;
    std::atomic<DeviceBackendGetter> get{nullptr};
};

struct Registry {
    std::vector<std::unique_ptr<Backend>> backends;
    Backend* cpu = nullptr;
    std::mutex device_mutex;
    DeviceBackendEntry cuda_backend;

    Registry() {
        backends.push_back(std::make_unique<CpuBackend>());
        backends.push_back(std::make_unique<ReferenceBackend>());
        cpu = backends.front().get();
        if (const char* env = std::getenv("PESO_BACKEND"); env != nullptr && *env != '\0') cpu = &find(env);
#ifdef PESO_WITH_CUDA
        add_device_backend("cuda", &cuda::gpu::device_backend, 0);
#endif
    }

    void add_device_backend(std::string_view name, DeviceBackendGetter get, int priority) {
        std::lock_guard lock(device_mutex);
        if (cuda_backend.get.load() != nullptr && priority <= cuda_backend.priority) return;
        cuda_backend.name = name;
        cuda_backend.priority = priority;
        cuda_backend.get.store(get);
    }

    Backend& find(std::string_view name) {
        for (auto& b : backends)
            if (b->name() == name) return *b;
        std::string known;
        for (auto& b : backends) known += (known.empty() ? "" : ", ") + std::string(b->name());
        throw ValueError(fmt::format("unknown backend '{}' (available: {})", name, known));
    }
};

Registry& registry() {
    static Registry* r = new Registry();  // never destroyed: tensors may outlive main()
    return *r;
}

// The CPU backend in use; a thread-local override would make tests racy, so
// this is process-wide, as PESO_BACKEND is.
Backend*& current_cpu() {
    static Backend* current = registry().cpu;
    return current;
}

}  // namespace

Backend& backend_for(Device device) {
    if (device.is_cpu()) return *current_cpu();
    if (const DeviceBackendGetter get = registry().cuda_backend.get.load(std::memory_order_acquire)) return get(device.index);
    throw DeviceError(fmt::format("device {}: peso was built without a CUDA backend", device));
}

void set_cpu_backend(std::string_view name) {
    Backend& b = registry().find(name);
    PESO_CHECK(b.device_type() == DeviceType::cpu, ValueError, "set_cpu_backend: '{}' is not a CPU backend", name);
    current_cpu() = &b;
}

std::string_view cpu_backend_name() { return current_cpu()->name(); }

std::vector<std::string> available_backends() {
    std::vector<std::string> names;
    for (auto& b : registry().backends) names.emplace_back(b->name());
    return names;
}

Backend& backend_by_name(std::string_view name) { return registry().find(name); }

bool cuda_backend_compiled() {
#ifdef PESO_WITH_CUDA
    return true;
#else
    return registry().cuda_backend.get.load() != nullptr;
#endif
}

void register_device_backend(DeviceType type, std::string_view name, DeviceBackendGetter get, int priority) {
    PESO_CHECK(type != DeviceType::cpu, ValueError, "register_device_backend: '{}': the cpu device's backends are built in",
               name);
    registry().add_device_backend(name, get, priority);
}

std::string device_backend_name(DeviceType type) {
    if (type == DeviceType::cpu) return std::string(cpu_backend_name());
    Registry& r = registry();
    std::lock_guard lock(r.device_mutex);
    return r.cuda_backend.name;
}

void Backend::record_check(const TensorArg& /*bad*/, const TensorArg& /*value*/, std::int32_t /*id*/) {
    // Only a backend that says checks_on_device() is asked to record checks.
    throw Error(fmt::format("backend '{}' checks values on the host; it records no device checks", name()));
}

}  // namespace peso
