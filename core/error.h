#pragma once
// peso's exceptions. Every failure a user can cause is reported by throwing one
// of these with a message naming the op, the shapes/dtypes/devices involved and
// what was expected; nothing aborts and nothing returns a silently wrong answer.
#include <fmt/format.h>
#include <stdexcept>
#include <string>

namespace peso {

class Error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};
class ShapeError : public Error { public: using Error::Error; };
class DTypeError : public Error { public: using Error::Error; };
class DeviceError : public Error { public: using Error::Error; };
class IndexError : public Error { public: using Error::Error; };
class ValueError : public Error { public: using Error::Error; };
class NotImplementedError : public Error { public: using Error::Error; };
class IOError : public Error { public: using Error::Error; };

}  // namespace peso

// PESO_CHECK(cond, ShapeError, "matmul: {} vs {}", a, b) throws peso::ShapeError.
#define PESO_CHECK(cond, ErrorType, ...)                                  \
    do {                                                                  \
        if (!(cond)) [[unlikely]] throw ::peso::ErrorType(fmt::format(__VA_ARGS__)); \
    } while (0)
