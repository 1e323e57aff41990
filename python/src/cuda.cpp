// peso._C._cuda: what peso.cuda asks the backend registry. A machine without
// a GPU (or a build without CUDA) has no device: the registry's DeviceError
// (which names the device) is the answer, never a crash.
#include "backends/registry.h"
#include "python/src/bindings.h"

namespace peso::python {
namespace {

bool has_device(int index) {
    try {
        backend_for(Device::cuda(index));
        return true;
    } catch (const DeviceError&) {
        return false;
    }
}

// CUDA devices are numbered from 0; peso supports up to 64.
int device_count() {
    int n = 0;
    while (n < 64 && has_device(n)) ++n;
    return n;
}

}  // namespace

void bind_cuda(py::module_& m) {
    py::module_ c = m.def_submodule("_cuda", "peso.cuda's compiled part");
    c.def("is_built", &cuda_backend_compiled);
    c.def("device_count", &device_count);
    c.def("backend_name", [] { return device_backend_name(DeviceType::cuda); });
}

}  // namespace peso::python
