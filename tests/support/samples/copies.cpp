// Samples of copies, conversions and in-place fills.
#include "tests/support/gradcheck_samples.h"

namespace peso::testing {

namespace {

// A fresh non-leaf copy of x on x's device, to modify in place.
Tensor scratch(const Tensor& x) { return mul(x, 1.0); }

const GradcheckOptions kFloat32{1e-3, 1e-3, 1e-2};  // through a float32 value: float32's precision

}  // namespace

void add_copy_samples(Samples& s) {
    s.add("contiguous", {"layout=transposed"}, leaves({{3, 2}}),
          [](const TL& x) { return contiguous(tr(x[0])); });
    s.add("contiguous", {"layout=sliced"}, leaves({{2, 7}}),
          [](const TL& x) { return contiguous(every_other(x[0])); });
    s.add("contiguous", {"layout=expanded"}, leaves({{3, 1}}),
          [](const TL& x) { return contiguous(x[0].expand({3, 4})); });

    s.add("clone", {}, [](Inputs& in) { return TL{in.p({in.n(), in.n()})}; },
          [](const TL& x) { return mul(clone(x[0]), x[0]); });
    s.add("clone", {"input=0-d"}, leaves({Dims{}}), [](const TL& x) { return clone(x[0]); });
    s.add("clone", {"input=empty"}, leaves({{0, 3}}), [](const TL& x) { return clone(x[0]); });
    s.add("clone", {"input=non-contiguous"}, leaves({{3, 2}}),
          [](const TL& x) { return clone(tr(x[0])); });

    auto round_trip = [](const Tensor& t) { return to_dtype(mul(to_dtype(t, DType::f32), 2.0), DType::f64); };
    s.add("to_dtype", {"dtype=float32", "dtype=float64"}, leaves({{2, 3}}),
          [round_trip](const TL& x) { return round_trip(x[0]); }, kFloat32);
    s.add("to_dtype", {"input=0-d"}, leaves({Dims{}}),
          [round_trip](const TL& x) { return round_trip(x[0]); }, kFloat32);
    s.add("to_dtype", {"input=empty"}, leaves({{2, 0}}),
          [round_trip](const TL& x) { return round_trip(x[0]); }, kFloat32);
    s.add("to_dtype", {"input=non-contiguous"}, leaves({{2, 7}}),
          [round_trip](const TL& x) { return round_trip(every_other(x[0])); }, kFloat32);

    // There and back: on the cpu run the cuda leg runs on the emulated device.
    auto there_and_back = [](const Tensor& t) {
        return to_device(mul(to_device(t, other_device(t)), 2.0), t.device());
    };
    s.add("to_device", {}, leaves({{3}}),
          [there_and_back](const TL& x) { return mul(there_and_back(x[0]), x[0]); })
        .needs_second_device = true;
    s.add("to_device", {"input=0-d"}, leaves({Dims{}}),
          [there_and_back](const TL& x) { return there_and_back(x[0]); })
        .needs_second_device = true;
    s.add("to_device", {"input=empty"}, leaves({{0}}),
          [there_and_back](const TL& x) { return there_and_back(x[0]); })
        .needs_second_device = true;
    s.add("to_device", {"input=non-contiguous"}, leaves({{3, 2}}),
          [there_and_back](const TL& x) { return there_and_back(tr(x[0])); })
        .needs_second_device = true;

    s.add("copy_", {"dst=whole", "src=same-shape"}, leaves({{2, 3}, {2, 3}}),
          [](const TL& x) {
              Tensor buf = scratch(x[1]);
              buf.copy_(mul(x[0], 2.0));
              return mul(buf, buf);
          });
    s.add("copy_", {"dst=view", "src=broadcast"}, leaves({{3}, {4, 3}}),
          [](const TL& x) {
              Tensor base = scratch(x[1]);
              base.narrow(0, 1, 2).copy_(x[0]);  // through a view of a base with history
              return mul(base, base);
          });
    s.add("copy_", {"dst=whole", "src=other-dtype"}, leaves({{3}, {3}}),
          [](const TL& x) {
              Tensor buf = scratch(x[1]);
              buf.copy_(to_dtype(x[0], DType::f32));
              return mul(buf, x[1]);
          }, kFloat32);

    // Fills overwrite what they cover: no gradient reaches it from there.
    auto fill_sample = [&s](const char* op, auto fill) {
        s.add(op, {"dst=whole"}, leaves({{3, 2}}), [fill](const TL& x) {
            Tensor y = mul(x[0], 3.0);
            fill(y);
            return add(y, x[0]);
        });
        s.add(op, {"dst=view"}, leaves({{3, 2}}), [fill](const TL& x) {
            Tensor y = mul(x[0], 3.0);  // (exp would save y, and a fill would rightly be refused)
            Tensor part = y.narrow(1, 0, 1);
            fill(part);
            return y;
        });
    };
    fill_sample("fill_", [](Tensor& t) { t.fill_(2.0); });
    fill_sample("zero_", [](Tensor& t) { t.zero_(); });
    fill_sample("uniform_", [](Tensor& t) {
        Generator g(1);
        uniform_(t, 0.0, 1.0, &g);
    });
    fill_sample("normal_", [](Tensor& t) {
        Generator g(2);
        normal_(t, 0.0, 1.0, &g);
    });
}

}  // namespace peso::testing
