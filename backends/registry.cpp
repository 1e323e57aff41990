// The one place where backends are registered.
#include "backends/registry.h"

#include <cstdlib>
#include <memory>
#include <mutex>

#include "backends/cpu/cpu_backend.h"
#include "backends/reference/reference_backend.h"

namespace peso {

namespace {

struct Registry {
    std::vector<std::unique_ptr<Backend>> backends;
    Backend* cpu = nullptr;

    Registry() {
        backends.push_back(std::make_unique<CpuBackend>());
        backends.push_back(std::make_unique<ReferenceBackend>());
        cpu = backends.front().get();
        if (const char* env = std::getenv("PESO_BACKEND"); env != nullptr && *env != '\0') cpu = &find(env);
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
    return false;
#endif
}

}  // namespace peso
