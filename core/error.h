#pragma once
// peso's exceptions. Every failure a user can cause is reported by throwing one
// of these with a message naming the op, the shapes/dtypes/devices involved and
// what was expected; nothing aborts and nothing returns a silently wrong answer.
#include <fmt/format.h>
#include <stdexcept>
#include <string>

namespace peso {

/// The base of every exception peso throws; what() names the op and the shapes,
/// dtypes or devices involved.
class Error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};
/// Shapes that do not fit the op (mismatched, not broadcastable, bad view).
class ShapeError : public Error { public: using Error::Error; };
/// A dtype the op does not take, or dtypes that do not match.
class DTypeError : public Error { public: using Error::Error; };
/// Tensors on different devices, or a device peso was built without.
class DeviceError : public Error { public: using Error::Error; };
/// A dim or an index out of range.
class IndexError : public Error { public: using Error::Error; };
/// A bad argument value (a negative step, an unknown name, an undefined tensor).
class ValueError : public Error { public: using Error::Error; };
/// Something peso does not do yet (e.g. arithmetic on float16 tensors on the CPU).
class NotImplementedError : public Error { public: using Error::Error; };
/// A file that is missing, unreadable or malformed.
class IOError : public Error { public: using Error::Error; };

}  // namespace peso

// PESO_CHECK(cond, ShapeError, "matmul: {} vs {}", a, b) throws peso::ShapeError.
#define PESO_CHECK(cond, ErrorType, ...)                                  \
    do {                                                                  \
        if (!(cond)) [[unlikely]] throw ::peso::ErrorType(fmt::format(__VA_ARGS__)); \
    } while (0)
