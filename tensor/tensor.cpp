#include "tensor/tensor.h"

#include <cstring>

#include "backends/registry.h"
#include "tensor/functions.h"

namespace peso {

TensorImpl& Tensor::impl() const {
    PESO_CHECK(impl_ != nullptr, ValueError, "operation on an undefined tensor");
    return *impl_;
}

std::int64_t Tensor::size(std::int64_t d) const { return sizes()[wrap_dim(d, dim(), "size")]; }
std::int64_t Tensor::stride(std::int64_t d) const { return strides()[wrap_dim(d, dim(), "stride")]; }

bool Tensor::is_contiguous() const { return arg().is_contiguous(); }

TensorArg Tensor::arg() const {
    const TensorImpl& i = impl();
    return TensorArg{i.data(), i.dtype, i.sizes, i.strides};
}

template <typename T> T* Tensor::data_ptr() const {
    PESO_CHECK(dtype() == dtype_v<T>, DTypeError, "data_ptr: tensor has dtype {}, asked for {}", dtype(),
               dtype_v<T>);
    PESO_CHECK(device().is_cpu(), DeviceError, "data_ptr<T>: tensor is on {}, move it to cpu first", device());
    return static_cast<T*>(data_ptr());
}

template <typename T> T Tensor::item() const {
    PESO_CHECK(numel() == 1, ValueError, "item: a tensor with {} elements (shape {}) cannot be converted to a scalar",
               numel(), sizes());
    const Tensor host = native::to_dtype(native::to_device(*this, Device::cpu()), dtype_v<T>);
    return *static_cast<const T*>(host.data_ptr());
}

template <typename T> std::vector<T> Tensor::to_vector() const {
    const Tensor host = native::contiguous(native::to_dtype(native::to_device(*this, Device::cpu()), dtype_v<T>));
    const T* p = static_cast<const T*>(host.data_ptr());
    return std::vector<T>(p, p + host.numel());
}

#define PESO_INSTANTIATE_ACCESS(T)                        \
    template T* Tensor::data_ptr<T>() const;              \
    template T Tensor::item<T>() const;                   \
    template std::vector<T> Tensor::to_vector<T>() const;
PESO_INSTANTIATE_ACCESS(float)
PESO_INSTANTIATE_ACCESS(double)
PESO_INSTANTIATE_ACCESS(std::int64_t)
PESO_INSTANTIATE_ACCESS(std::int32_t)
PESO_INSTANTIATE_ACCESS(bool)
#undef PESO_INSTANTIATE_ACCESS

}  // namespace peso
