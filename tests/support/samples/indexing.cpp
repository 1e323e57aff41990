// Samples of embedding, index_select, gather, scatter, scatter_add and
// index_add. Indices are inputs (constants), so that the device runs copy them.
#include "tests/support/gradcheck_samples.h"

namespace peso::testing {

void add_indexing_samples(Samples& s) {
    const auto emb = [](const TL& x) { return embedding(x[0], x[1]); };
    s.add("embedding", {"indices=1-d", "index=unique"}, [](Inputs& in) { return TL{in.p({5, 3}), index({1, 4, 0})}; },
          emb);
    s.add("embedding", {"indices=2-d", "index=repeated"},
          [](Inputs& in) { return TL{in.p({5, 3}), index({1, 4, 1, 0}, {2, 2})}; }, emb);
    s.add("embedding", {"indices=0-d"}, [](Inputs& in) { return TL{in.p({4, 2}), index({3}, {})}; }, emb);
    s.add("embedding", {"input=non-contiguous"}, [](Inputs& in) { return TL{in.p({3, 5}), index({2, 2, 4})}; },
          [](const TL& x) { return embedding(tr(x[0]), x[1]); });

    const auto isel = [](std::int64_t dim) { return [dim](const TL& x) { return index_select(x[0], dim, x[1]); }; };
    s.add("index_select", {"dim=positive", "index=unique"},
          [](Inputs& in) { return TL{in.p({3, 4}), index({3, 0, 2})}; },
          isel(1));
    s.add("index_select", {"dim=negative", "index=repeated"},
          [](Inputs& in) { return TL{in.p({3, 4}), index({2, 0, 2})}; }, isel(-2));
    s.add("index_select", {"index=empty"}, [](Inputs& in) { return TL{in.p({3, 4}), index({})}; }, isel(1));
    s.add("index_select", {"index=0-d"}, [](Inputs& in) { return TL{in.p({3, 4}), index({1}, {})}; }, isel(0));
    s.add("index_select", {"input=0-d"}, [](Inputs& in) { return TL{in.p({}), index({0}), index({0}, {})}; },
          [](const TL& x) { return TL{index_select(x[0], 0, x[1]), index_select(x[0], -1, x[2])}; });
    s.add("index_select", {"input=empty"}, [](Inputs& in) { return TL{in.p({0, 3}), index({2, 0})}; }, isel(1));
    s.add("index_select", {"input=non-contiguous"}, [](Inputs& in) { return TL{in.p({4, 3}), index({3, 1})}; },
          [](const TL& x) { return index_select(tr(x[0]), 1, x[1]); });

    const auto gath = [](std::int64_t dim) { return [dim](const TL& x) { return gather(x[0], dim, x[1]); }; };
    s.add("gather", {"dim=positive", "index=same-shape"},
          [](Inputs& in) { return TL{in.p({2, 3}), index({2, 0, 1, 1, 2, 0}, {2, 3})}; }, gath(1));
    s.add("gather", {"dim=negative", "index=smaller"},
          [](Inputs& in) { return TL{in.p({3, 4}), index({0, 2, 1, 1, 0, 2}, {2, 3})}; }, gath(-2));
    s.add("gather", {"index=repeated"}, [](Inputs& in) { return TL{in.p({3, 4}), index({0, 3, 3, 1, 1, 1}, {3, 2})}; },
          gath(1));
    s.add("gather", {"input=0-d"}, [](Inputs& in) { return TL{in.p({}), index({0}, {})}; }, gath(0));
    s.add("gather", {"input=empty"}, [](Inputs& in) { return TL{in.p({0, 3}), index({}, {0, 2})}; }, gath(1));
    s.add("gather", {"input=non-contiguous"}, [](Inputs& in) { return TL{in.p({4, 3}), index({3, 0, 2, 2}, {2, 2})}; },
          [](const TL& x) { return gather(tr(x[0]), 1, x[1]); });

    // Scatter targets are distinct within a row: with duplicates, which
    // source element lands is unspecified.
    const auto unique_rows = [](Inputs& in) {
        return TL{in.p({3, 4}), index({0, 3, 1, 2, 2, 0}, {3, 2}), in.p({3, 2})};
    };
    s.add("scatter", {"dim=positive", "src=tensor", "variant=out-of-place"}, unique_rows,
          [](const TL& x) { return scatter(x[0], 1, x[1], x[2]); });
    s.add("scatter", {"dim=negative", "src=scalar"}, unique_rows,
          [](const TL& x) { return scatter(x[0], -1, x[1], 5.0); });
    s.add("scatter", {"variant=in-place", "src=tensor"}, unique_rows, [](const TL& x) {
        Tensor y = mul(x[0], 1.0);
        return scatter_(y, 1, x[1], x[2]);
    });
    s.add("scatter", {"variant=in-place", "src=scalar"}, unique_rows, [](const TL& x) {
        Tensor y = mul(x[0], 1.0);
        return scatter_(y, 1, x[1], -2.0);
    });
    s.add("scatter", {"input=empty"}, [](Inputs& in) { return TL{in.p({0, 3}), index({}, {0, 2}), in.p({0, 2})}; },
          [](const TL& x) { return scatter(x[0], 1, x[1], x[2]); });
    s.add("scatter", {"input=non-contiguous"},
          [](Inputs& in) { return TL{in.p({4, 3}), index({0, 3, 1, 2, 2, 0}, {3, 2}), in.p({3, 5})}; },
          [](const TL& x) { return scatter(tr(x[0]), 1, x[1], every_other(x[2])); });

    const auto repeated_rows = [](Inputs& in) {
        return TL{in.p({3, 4}), index({0, 0, 1, 2, 3, 3}, {3, 2}), in.p({3, 2})};
    };
    s.add("scatter_add", {"dim=positive", "index=repeated", "variant=out-of-place"}, repeated_rows,
          [](const TL& x) { return scatter_add(x[0], 1, x[1], x[2]); });
    s.add("scatter_add", {"dim=negative", "index=unique"}, unique_rows,
          [](const TL& x) { return scatter_add(x[0], -1, x[1], x[2]); });
    s.add("scatter_add", {"variant=in-place"}, repeated_rows, [](const TL& x) {
        Tensor y = mul(x[0], 1.0);
        return scatter_add_(y, 1, x[1], x[2]);
    });
    s.add("scatter_add", {"input=empty"}, [](Inputs& in) { return TL{in.p({0, 3}), index({}, {0, 2}), in.p({0, 2})}; },
          [](const TL& x) { return scatter_add(x[0], 1, x[1], x[2]); });
    s.add("scatter_add", {"input=non-contiguous"},
          [](Inputs& in) { return TL{in.p({4, 3}), index({0, 0, 1, 2, 3, 3}, {3, 2}), in.p({2, 3})}; },
          [](const TL& x) { return scatter_add(tr(x[0]), 1, x[1], tr(x[2])); });

    const auto rows = [](std::vector<std::int64_t> idx) {
        return [idx](Inputs& in) {
            return TL{in.p({4, 3}), index(idx), in.p({static_cast<std::int64_t>(idx.size()), 3})};
        };
    };
    s.add("index_add", {"dim=positive", "index=repeated", "alpha=other", "variant=out-of-place"}, rows({1, 3, 1}),
          [](const TL& x) { return index_add(x[0], 0, x[1], x[2], 2.0); });
    s.add("index_add", {"dim=negative", "index=unique", "alpha=1"},
          [](Inputs& in) { return TL{in.p({3, 4}), index({2, 0}), in.p({3, 2})}; },
          [](const TL& x) { return index_add(x[0], -1, x[1], x[2]); });
    s.add("index_add", {"variant=in-place"}, rows({0, 0, 2}), [](const TL& x) {
        Tensor y = mul(x[0], 1.0);
        return index_add_(y, 0, x[1], x[2], -0.5);
    });
    s.add("index_add", {"input=empty"}, [](Inputs& in) { return TL{in.p({0, 3}), index({1, 0}), in.p({0, 2})}; },
          [](const TL& x) { return index_add(x[0], 1, x[1], x[2]); });
    s.add("index_add", {"input=non-contiguous"}, rows({3, 0}),
          [](const TL& x) { return index_add(tr(x[0]), 1, x[1], tr(x[2])); });
}

}  // namespace peso::testing
