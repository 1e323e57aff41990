// What launch() (launch.h) needs outside its template: the PESO_CUDA_SYNC
// switch and the messages of failed launches.
#include <cxxabi.h>

#include <atomic>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "backends/cuda/launch.h"

PESO_CUDA_NAMESPACE_BEGIN

namespace {

std::atomic<bool>& sync_flag() {
    static std::atomic<bool> flag = [] {
        const char* env = std::getenv("PESO_CUDA_SYNC");
        return env != nullptr && std::string_view(env) == "1";
    }();
    return flag;
}

std::string demangle(const char* symbol) {
    int status = 0;
    const std::unique_ptr<char, decltype(&std::free)> text(abi::__cxa_demangle(symbol, nullptr, nullptr, &status),
                                                           &std::free);
    return status == 0 && text ? text.get() : symbol;
}

// "void (*)(const float*, int)" out of "... [with Kernel = void (*)(const float*, int)]".
std::string type_of(std::string_view signature) {
    if (const auto with = signature.find("Kernel = "); with != std::string_view::npos) {
        signature.remove_prefix(with + 9);
        if (const auto end = signature.find_first_of(";]"); end != std::string_view::npos)
            signature = signature.substr(0, end);
    }
    return "of type " + std::string(signature);
}

std::string kernel_name(const void* kernel, const char* kernel_type) {
    const char* symbol = nullptr;
    if (cudaFuncGetName(&symbol, kernel) == cudaSuccess && symbol != nullptr) return demangle(symbol);
    (void)cudaGetLastError();  // a kernel without a name is no error to keep
    return type_of(kernel_type);
}

std::string dims(dim3 d) {
    return "(" + std::to_string(d.x) + "," + std::to_string(d.y) + "," + std::to_string(d.z) + ")";
}

}  // namespace

bool sync_launches() { return sync_flag().load(std::memory_order_relaxed); }

void set_sync_launches(bool on) { sync_flag().store(on); }

void throw_launch_error(cudaError_t error, bool while_running, const void* kernel, const char* kernel_type,
                        const GridSize& grid, dim3 block) {
    const std::string where = std::string(grid.site.file_name()) + ":" + std::to_string(grid.site.line());
    const std::string what = "kernel " + kernel_name(kernel, kernel_type) + " (launched at " + where + ", grid " +
                             dims(grid.dims) + ", block " + dims(block) + ")";
    (void)cudaGetLastError();
    if (while_running) {
        // Every earlier launch was waited for too, so this kernel is the one that failed.
        throw DeviceError(what + " failed while running (PESO_CUDA_SYNC=1): " + cudaGetErrorName(error) + " (" +
                          cudaGetErrorString(error) + ")");
    }
    throw DeviceError("launch of " + what + " failed: " + describe_cuda_error(error));
}

PESO_CUDA_NAMESPACE_END
