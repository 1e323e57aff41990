#pragma once
// Value checks that a device makes itself (index bounds, class targets), so
// that the host does not wait for a GPU before every embedding or loss. The
// front-end computes which elements are bad with device ops, records the
// check (Backend::record_check), and goes on; the failure, if any, is raised
// as an IndexError at the next copy from that device to the host (the loss
// read, `item()`, `.to(cpu)`), which waits for the device anyway. On a
// backend that checks on the host (the CPU's) nothing is deferred.
#include <cstdint>
#include <string>

#include "tensor/tensor.h"

namespace peso::native {

// Whether checks on tensors of `device` are made on the device and deferred.
bool device_checks_values(Device device);

// Records: "if any element of `bad` is true, fail with
// `before` + the matching element of `value` + `after`". bad (bool) and value
// (int64) share sizes and live on a device that checks values.
void check_on_device(const Tensor& bad, const Tensor& value, const std::string& before, const std::string& after);

// Raises the first check recorded on `device` that failed since the last
// call, as of the device's last wait (after a copy to the host).
void raise_failed_device_checks(Device device);

}  // namespace peso::native
