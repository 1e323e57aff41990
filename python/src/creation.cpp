// The creation functions, with PyTorch's keywords (dtype=, device=,
// requires_grad=, generator=). Shapes arrive as one sequence: the Python
// wrappers in peso/_creation.py take peso.zeros(2, 3) and peso.zeros((2, 3)).
#include "python/src/args.h"

namespace peso::python {
namespace {

TensorOptions options(std::optional<DType> dtype, std::optional<Device> device) {
    TensorOptions o;
    if (dtype) o = o.dtype(*dtype);
    return o.device(device.value_or(Device::cpu()));
}

Tensor finish(Tensor t, bool requires_grad) {
    if (requires_grad) t.requires_grad_(true);
    return t;
}

// fn(shape, options, requires_grad), for the shape-first creation functions.
template <typename Fn> void def_shaped(py::module_& m, const char* name, Fn fn) {
    m.def(name, [fn](const Dims& shape, std::optional<DType> dtype, std::optional<Device> device, bool rg) {
        return finish(fn(shape, options(dtype, device)), rg);
    }, py::arg("size"), py::arg("dtype") = py::none(), py::arg("device") = py::none(),
       py::arg("requires_grad") = false, nogil());
}

}  // namespace

void bind_creation(py::module_& m) {
    py::class_<Generator>(m, "Generator")
        .def(py::init<std::uint64_t>(), py::arg("seed") = 0x5eed)
        .def("manual_seed", [](Generator& g, std::uint64_t s) -> Generator& { g.manual_seed(s); return g; },
             py::return_value_policy::reference_internal)
        .def("initial_seed", &Generator::seed);
    m.def("manual_seed", [](std::uint64_t s) { manual_seed(s); });
    m.def("default_generator", &default_generator, py::return_value_policy::reference);

    def_shaped(m, "_empty", [](const Dims& s, TensorOptions o) { return empty(s, o); });
    def_shaped(m, "_zeros", [](const Dims& s, TensorOptions o) { return zeros(s, o); });
    def_shaped(m, "_ones", [](const Dims& s, TensorOptions o) { return ones(s, o); });
    m.def("_full", [](const Dims& s, Scalar v, std::optional<DType> dt, std::optional<Device> dev, bool rg) {
        return finish(full(s, v, options(dt, dev)), rg);
    }, py::arg("size"), py::arg("fill_value"), py::arg("dtype") = py::none(), py::arg("device") = py::none(),
       py::arg("requires_grad") = false, nogil());
    m.def("_rand", [](const Dims& s, std::optional<DType> dt, std::optional<Device> dev, bool rg, Generator* g) {
        return finish(rand(s, options(dt, dev), g), rg);
    }, py::arg("size"), py::arg("dtype") = py::none(), py::arg("device") = py::none(),
       py::arg("requires_grad") = false, py::arg("generator") = nullptr, nogil());
    m.def("_randn", [](const Dims& s, std::optional<DType> dt, std::optional<Device> dev, bool rg, Generator* g) {
        return finish(randn(s, options(dt, dev), g), rg);
    }, py::arg("size"), py::arg("dtype") = py::none(), py::arg("device") = py::none(),
       py::arg("requires_grad") = false, py::arg("generator") = nullptr, nogil());
    m.def("_randint", [](std::int64_t lo, std::int64_t hi, const Dims& s, std::optional<DType> dt,
                         std::optional<Device> dev, Generator* g) {
        return randint(lo, hi, s, options(dt, dev), g);
    }, py::arg("low"), py::arg("high"), py::arg("size"), py::arg("dtype") = py::none(),
       py::arg("device") = py::none(), py::arg("generator") = nullptr, nogil());
    m.def("randperm", [](std::int64_t n, std::optional<DType> dt, std::optional<Device> dev, Generator* g) {
        return randperm(n, options(dt, dev), g);
    }, py::arg("n"), py::kw_only(), py::arg("dtype") = py::none(), py::arg("device") = py::none(),
       py::arg("generator") = nullptr, nogil());
    m.def("arange", [](Scalar start, std::optional<Scalar> end, Scalar step, std::optional<DType> dt,
                       std::optional<Device> dev, bool rg) {
        const TensorOptions o = options(dt, dev);
        return finish(end ? arange(start, *end, step, o) : arange(start, o), rg);
    }, py::arg("start"), py::arg("end") = py::none(), py::arg("step") = 1, py::kw_only(),
       py::arg("dtype") = py::none(), py::arg("device") = py::none(), py::arg("requires_grad") = false, nogil());
    m.def("linspace", [](double a, double b, std::int64_t n, std::optional<DType> dt, std::optional<Device> dev,
                         bool rg) { return finish(linspace(a, b, n, options(dt, dev)), rg); },
          py::arg("start"), py::arg("end"), py::arg("steps"), py::kw_only(), py::arg("dtype") = py::none(),
          py::arg("device") = py::none(), py::arg("requires_grad") = false, nogil());
    m.def("eye", [](std::int64_t n, std::optional<std::int64_t> mm, std::optional<DType> dt,
                    std::optional<Device> dev, bool rg) { return finish(eye(n, mm, options(dt, dev)), rg); },
          py::arg("n"), py::arg("m") = py::none(), py::kw_only(), py::arg("dtype") = py::none(),
          py::arg("device") = py::none(), py::arg("requires_grad") = false, nogil());
    m.def("scalar_tensor", [](Scalar v, std::optional<DType> dt, std::optional<Device> dev) {
        return scalar_tensor(v, options(dt, dev));
    }, py::arg("s"), py::kw_only(), py::arg("dtype") = py::none(), py::arg("device") = py::none(), nogil());
    m.def("bernoulli", [](const Tensor& p, Generator* g) { return bernoulli(p, g); }, py::arg("input"),
          py::kw_only(), py::arg("generator") = nullptr, nogil());
    m.def("multinomial", [](const Tensor& p, std::int64_t n, bool repl, Generator* g) {
        return multinomial(p, n, repl, g);
    }, py::arg("input"), py::arg("num_samples"), py::arg("replacement") = false, py::kw_only(),
       py::arg("generator") = nullptr, nogil());
    m.def("rand_like", [](const Tensor& t, Generator* g) { return rand_like(t, g); }, py::arg("input"),
          py::kw_only(), py::arg("generator") = nullptr, nogil());
    m.def("randn_like", [](const Tensor& t, Generator* g) { return randn_like(t, g); }, py::arg("input"),
          py::kw_only(), py::arg("generator") = nullptr, nogil());
}

}  // namespace peso::python
