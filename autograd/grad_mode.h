#pragma once
// Thread-local switches of the autograd layer: whether ops record a graph
// (grad mode) and whether backward checks every gradient for NaN/Inf
// (anomaly mode).

namespace peso::autograd {

/// Whether ops on tensors that require grad record a graph (this thread; on by default).
bool grad_enabled();
/// Turns graph recording on or off for this thread (prefer the guards below).
void set_grad_enabled(bool enabled);
/// Whether backward checks every gradient for NaN and Inf (this thread; off by default).
bool anomaly_enabled();
/// Turns the NaN/Inf checks of backward on or off for this thread.
void set_anomaly_enabled(bool enabled);

/// Ops in its scope record nothing (optimizer steps, evaluation, init).
class NoGradGuard {
public:
    NoGradGuard() : previous_(grad_enabled()) { set_grad_enabled(false); }
    ~NoGradGuard() { set_grad_enabled(previous_); }
    NoGradGuard(const NoGradGuard&) = delete;
    NoGradGuard& operator=(const NoGradGuard&) = delete;

private:
    bool previous_;
};

/// Turns recording back on inside a no-grad scope.
class EnableGradGuard {
public:
    EnableGradGuard() : previous_(grad_enabled()) { set_grad_enabled(true); }
    ~EnableGradGuard() { set_grad_enabled(previous_); }
    EnableGradGuard(const EnableGradGuard&) = delete;
    EnableGradGuard& operator=(const EnableGradGuard&) = delete;

private:
    bool previous_;
};

/// Sets grad mode to a given value for its scope (the engine: on exactly when
/// the backward's own graph is recorded).
class GradModeGuard {
public:
    /// Sets grad mode to `enabled` until the guard goes out of scope.
    explicit GradModeGuard(bool enabled) : previous_(grad_enabled()) { set_grad_enabled(enabled); }
    ~GradModeGuard() { set_grad_enabled(previous_); }
    GradModeGuard(const GradModeGuard&) = delete;
    GradModeGuard& operator=(const GradModeGuard&) = delete;

private:
    bool previous_;
};

/// Backward passes in its scope throw, naming the forward op, as soon as a
/// backward function produces NaN or Inf.
class DetectAnomalyGuard {
public:
    DetectAnomalyGuard() : previous_(anomaly_enabled()) { set_anomaly_enabled(true); }
    ~DetectAnomalyGuard() { set_anomaly_enabled(previous_); }
    DetectAnomalyGuard(const DetectAnomalyGuard&) = delete;
    DetectAnomalyGuard& operator=(const DetectAnomalyGuard&) = delete;

private:
    bool previous_;
};

}  // namespace peso::autograd

namespace peso {
using autograd::DetectAnomalyGuard;
using autograd::EnableGradGuard;
using autograd::NoGradGuard;
}  // namespace peso
