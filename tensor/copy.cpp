// Copies, conversions and fills.
#include "backends/registry.h"
#include "tensor/broadcast.h"
#include "tensor/device_checks.h"
#include "tensor/native.h"

namespace peso::native {

namespace {

// Copies bytes of a contiguous tensor to another device.
Tensor transfer(const Tensor& src, Device device) {
    Tensor out = empty(src.sizes(), TensorOptions(src.dtype()).device(device));
    if (src.numel() == 0) return out;
    if (device.is_cpu()) {
        backend_for(src.device()).copy_to_host(out.data_ptr(), src.data_ptr(), src.nbytes());
        // The host has waited for the device: checks it made meanwhile are decided.
        raise_failed_device_checks(src.device());
    } else if (src.device().is_cpu()) {
        backend_for(device).copy_from_host(out.data_ptr(), src.data_ptr(), src.nbytes());
    } else {
        return transfer(transfer(src, Device::cpu()), device);
    }
    return out;
}

}  // namespace

Tensor& copy_(Tensor& dst, const Tensor& src) {
    PESO_CHECK(src.defined() && dst.defined(), ValueError, "copy_: undefined tensor");
    PESO_CHECK(broadcast_shapes(dst.sizes(), src.sizes(), "copy_") == dst.sizes(), ShapeError,
               "copy_: source of shape {} cannot be broadcast to destination of shape {}", src.sizes(), dst.sizes());
    dst.impl().storage->bump_version();
    if (dst.numel() == 0) return dst;
    if (src.device() != dst.device()) {
        const Tensor moved = transfer(contiguous(src), dst.device());
        return copy_(dst, moved);
    }
    TensorArg d = dst.arg();
    TensorArg s = broadcast_arg(src, dst.sizes());
    TensorArg* args[] = {&d, &s};
    coalesce_dims(args);
    backend_for(dst.device()).copy(d, s);
    return dst;
}

Tensor contiguous(const Tensor& t) {
    if (t.is_contiguous()) return t;
    return clone(t);
}

Tensor clone(const Tensor& t) {
    Tensor out = empty(t.sizes(), t.options());
    return copy_(out, t);
}

Tensor to_dtype(const Tensor& t, DType dtype) {
    if (t.dtype() == dtype) return t;
    Tensor out = empty(t.sizes(), t.options().dtype(dtype));
    return copy_(out, t);
}

Tensor to_device(const Tensor& t, Device device) {
    if (t.device() == device) return t;
    return transfer(contiguous(t), device);
}

Tensor& fill_(Tensor& t, Scalar value) {
    t.impl().storage->bump_version();
    if (t.numel() == 0) return t;
    TensorArg a = t.arg();
    TensorArg* args[] = {&a};
    coalesce_dims(args);
    backend_for(t.device()).fill(a, value);
    return t;
}

Tensor& zero_(Tensor& t) { return fill_(t, 0); }

}  // namespace peso::native
