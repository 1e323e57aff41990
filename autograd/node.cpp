#include "autograd/node.h"

#include <atomic>

namespace peso::autograd {

namespace {
std::atomic<std::uint64_t> g_next_sequence_nr{0};
}

Node::Node(std::string name) : name_(std::move(name)), sequence_nr_(g_next_sequence_nr++) {}

// Destroying the last reference to a long chain of nodes would recurse once
// per node and overflow the stack (a 100,000-op chain is ordinary in an RNN).
// Instead the edges of every node about to die are unlinked into a work list.
Node::~Node() {
    std::vector<std::shared_ptr<Node>> stack;
    for (Edge& e : next_edges_)
        if (e.fn) stack.push_back(std::move(e.fn));
    next_edges_.clear();
    while (!stack.empty()) {
        std::shared_ptr<Node> n = std::move(stack.back());
        stack.pop_back();
        if (n.use_count() == 1) {
            n->release_saved();
            for (Edge& e : n->next_edges_)
                if (e.fn) stack.push_back(std::move(e.fn));
            n->next_edges_.clear();
        }
    }
}

}  // namespace peso::autograd
