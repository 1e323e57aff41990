#include "tensor/device_checks.h"

#include <map>
#include <mutex>
#include <utility>
#include <vector>

#include "backends/registry.h"
#include "tensor/native.h"

namespace peso::native {

namespace {

// The messages of recorded checks, numbered from 1 (the id the device
// reports). A training loop records the same few checks every step, so equal
// messages share one number and the table stays as small as the program's
// distinct checks.
class CheckMessages {
public:
    std::int32_t id_of(const std::string& before, const std::string& after) {
        std::lock_guard lock(mutex_);
        const auto [it, added] = ids_.try_emplace({before, after}, static_cast<std::int32_t>(messages_.size() + 1));
        if (added) messages_.emplace_back(before, after);
        return it->second;
    }
    std::string message(std::int32_t id, std::int64_t value) {
        std::lock_guard lock(mutex_);
        const auto& [before, after] = messages_.at(static_cast<std::size_t>(id - 1));
        return before + std::to_string(value) + after;
    }

private:
    std::mutex mutex_;
    std::map<std::pair<std::string, std::string>, std::int32_t> ids_;
    std::vector<std::pair<std::string, std::string>> messages_;
};

CheckMessages& check_messages() {
    static CheckMessages messages;
    return messages;
}

}  // namespace

bool device_checks_values(Device device) { return !device.is_cpu() && backend_for(device).checks_on_device(); }

void check_on_device(const Tensor& bad, const Tensor& value, const std::string& before, const std::string& after) {
    PESO_CHECK(bad.dtype() == DType::b8 && value.dtype() == DType::i64 && bad.sizes() == value.sizes() &&
                   bad.device() == value.device(),
               ValueError, "check_on_device: expected bool and int64 tensors of one shape and device, got {} {} and {} {}",
               bad.dtype(), bad.sizes(), value.dtype(), value.sizes());
    if (bad.numel() == 0) return;
    const Tensor b = contiguous(bad), v = contiguous(value);
    backend_for(b.device()).record_check(b.arg(), v.arg(), check_messages().id_of(before, after));
}

void raise_failed_device_checks(Device device) {
    if (device.is_cpu()) return;
    const Backend::FailedCheck failed = backend_for(device).take_failed_check();
    if (failed.id == 0) return;
    throw IndexError(check_messages().message(failed.id, failed.value) +
                     fmt::format(" (checked on {} while the op ran; reported at this read from the device)", device));
}

}  // namespace peso::native
