#include "nn/tokenizers/utf8_stream.h"

#include <cstdint>

#include "nn/tokenizers/utf8.h"

namespace peso::nn::utf8 {

std::string Utf8Stream::push(std::string_view bytes) {
    pending_.append(bytes);
    std::size_t i = 0, done = 0;
    while (i < pending_.size()) {
        const Decoded d = decode_at(pending_, i);
        const auto lead = static_cast<std::uint8_t>(pending_[i]);
        // Cut short by the end of what has arrived (not by a bad byte): wait for the rest.
        if (!d.valid && i + d.len == pending_.size() && lead >= 0xC2 && lead <= 0xF4) break;
        i += d.len;
        done = i;
    }
    std::string out = sanitize(std::string_view(pending_).substr(0, done));
    pending_.erase(0, done);
    return out;
}

std::string Utf8Stream::finish() {
    std::string out = sanitize(pending_);
    pending_.clear();
    return out;
}

}  // namespace peso::nn::utf8
