#pragma once
// Every differentiable op, by the name its graph nodes carry, with the
// variants of its arguments. record() refuses names missing here; the
// gradcheck suite (tests/gradcheck) fails for any op here that no passing
// sample recorded, and for any option value here that no passing sample
// exercised: a new op, or a new variant of one, cannot slip in untested.
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace peso::autograd {

// One argument's variants that the gradcheck samples must exercise, as
// PyTorch's OpInfo samples do: its name and its values (keepdim: false, true).
// "input" names the kinds of tensors the op accepts beyond the plain one
// (0-d, empty, non-contiguous), "broadcast" which operand is broadcast.
struct OptionDomain {
    std::string_view name;
    std::vector<std::string_view> values;
};

struct OpInfo {
    std::string_view name;
    bool twice_differentiable;  // gradgradcheck runs for it
    std::vector<OptionDomain> options;
};

const std::vector<OpInfo>& differentiable_ops();
bool is_registered_op(std::string_view name);
// nullptr when `name` is not registered.
const OpInfo* find_op(std::string_view name);

// While alive, collects the op names of the graph nodes that record() creates
// on this thread (nested scopes each see them all). The gradcheck suite counts
// an op as covered only when a passing sample really recorded it. With no
// scope alive the cost in record() is one thread-local load.
class RecordedOps {
public:
    RecordedOps();
    ~RecordedOps();
    RecordedOps(const RecordedOps&) = delete;
    RecordedOps& operator=(const RecordedOps&) = delete;

    const std::set<std::string, std::less<>>& names() const { return names_; }
    // record() calls this with the op's registry name.
    static void note(std::string_view op);

private:
    RecordedOps* outer_;
    std::set<std::string, std::less<>> names_;
};

}  // namespace peso::autograd
