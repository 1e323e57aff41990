#pragma once
// Sequential, ModuleList and ModuleDict.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "nn/module.h"

namespace peso::nn {

// Children named "0", "1", ... applied in order; each must have
// Tensor forward(const Tensor&).
class Sequential : public Module {
public:
    Sequential() = default;
    template <typename... M> explicit Sequential(std::shared_ptr<M>... ms) { (push_back(std::move(ms)), ...); }

    template <typename M> std::shared_ptr<M> push_back(std::shared_ptr<M> m) {
        register_module(std::to_string(steps_.size()), m);
        M* raw = m.get();
        steps_.push_back([raw](const Tensor& x) { return raw->forward(x); });
        return m;
    }
    Tensor forward(const Tensor& x) const {
        Tensor y = x;
        for (const auto& step : steps_) y = step(y);
        return y;
    }
    std::size_t size() const { return steps_.size(); }
    std::string type_name() const override { return "Sequential"; }

private:
    std::vector<std::function<Tensor(const Tensor&)>> steps_;
};

// A list of modules registered as "0", "1", ...
template <typename M = Module> class ModuleList : public Module {
public:
    std::shared_ptr<M> push_back(std::shared_ptr<M> m) {
        register_module(std::to_string(items_.size()), m);
        items_.push_back(m);
        return m;
    }
    std::size_t size() const { return items_.size(); }
    const std::shared_ptr<M>& operator[](std::size_t i) const { return items_.at(i); }
    auto begin() const { return items_.begin(); }
    auto end() const { return items_.end(); }
    std::string type_name() const override { return "ModuleList"; }

private:
    std::vector<std::shared_ptr<M>> items_;
};

// Modules by name, in insertion order.
template <typename M = Module> class ModuleDict : public Module {
public:
    std::shared_ptr<M> insert(const std::string& key, std::shared_ptr<M> m) {
        register_module(key, m);
        items_.emplace_back(key, m);
        return m;
    }
    std::shared_ptr<M> operator[](const std::string& key) const {
        for (const auto& [k, m] : items_)
            if (k == key) return m;
        throw ValueError(fmt::format("ModuleDict: no key '{}'", key));
    }
    bool contains(const std::string& key) const {
        for (const auto& [k, m] : items_)
            if (k == key) return true;
        return false;
    }
    std::size_t size() const { return items_.size(); }
    auto begin() const { return items_.begin(); }
    auto end() const { return items_.end(); }
    std::string type_name() const override { return "ModuleDict"; }

private:
    std::vector<std::pair<std::string, std::shared_ptr<M>>> items_;
};

}  // namespace peso::nn
