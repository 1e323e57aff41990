// Samples of view ops. Most check the view itself, element by element; a
// few multiply it by its input, so that the view's gradient meets another.
#include "tests/support/gradcheck_samples.h"

namespace peso::testing {

void add_view_samples(Samples& s) {
    s.add("view", {"size=explicit"}, leaves({{2, 6}}),
          [](const TL& x) { return x[0].view({3, 4}); });
    s.add("view", {"size=inferred"}, leaves({{2, 6}}),
          [](const TL& x) { return x[0].view({-1, 2, 2}); });
    s.add("view", {"input=0-d"}, leaves({Dims{}}),
          [](const TL& x) { return x[0].view({1, 1}); });
    s.add("view", {"input=empty"}, leaves({{0, 4}}),
          [](const TL& x) { return x[0].view({2, 0, 2}); });
    s.add("view", {"input=non-contiguous"}, leaves({{3, 9}}),
          [](const TL& x) { return every_other(x[0]).view({3, 2, 2}); });  // splits a strided dim

    s.add("reshape", {"result=view", "size=explicit"}, leaves({{2, 6}}),
          [](const TL& x) { return reshape(x[0], {4, 3}); });
    s.add("reshape", {"result=copy", "size=inferred"}, leaves({{4, 3}}),
          [](const TL& x) { return reshape(tr(x[0]), {-1}); });
    s.add("reshape", {"input=0-d"}, leaves({Dims{}}),
          [](const TL& x) { return reshape(reshape(x[0], {1}), {}); });
    s.add("reshape", {"input=empty"}, leaves({{3, 0}}),
          [](const TL& x) { return reshape(x[0], {0, 5}); });

    s.add("permute", {"dim=positive"}, leaves({{2, 3, 4}}),
          [](const TL& x) { return x[0].permute({2, 0, 1}); });
    s.add("permute", {"dim=negative"}, leaves({{2, 3, 4}}),
          [](const TL& x) { return x[0].permute({-1, -3, -2}); });
    s.add("permute", {"input=0-d"}, leaves({Dims{}}),
          [](const TL& x) { return x[0].permute({}); });
    s.add("permute", {"input=empty"}, leaves({{2, 0, 3}}),
          [](const TL& x) { return x[0].permute({1, 2, 0}); });

    s.add("transpose", {"dim=positive"}, leaves({{2, 3}, {2, 3}}),
          [](const TL& x) { return matmul(x[0].transpose(0, 1), x[1]); });
    s.add("transpose", {"dim=negative"}, leaves({{2, 3, 4}}),
          [](const TL& x) { return x[0].transpose(-1, -3); });
    s.add("transpose", {"dim=same"}, leaves({{2, 3}}),
          [](const TL& x) { return mul(x[0].transpose(1, 1), x[0]); });
    s.add("transpose", {"input=0-d"}, leaves({Dims{}}),
          [](const TL& x) { return mul(x[0].transpose(0, -1), x[0]); });
    s.add("transpose", {"input=empty"}, leaves({{0, 3}}),
          [](const TL& x) { return x[0].transpose(0, 1); });
    s.add("transpose", {"input=non-contiguous"}, leaves({{2, 7}}),
          [](const TL& x) { return every_other(x[0]).transpose(0, 1); });

    s.add("narrow", {"dim=positive", "start=positive", "length=positive", "via=narrow"},
          leaves({{4, 3}}), [](const TL& x) { return x[0].narrow(0, 1, 2); });
    s.add("narrow", {"dim=negative", "start=negative", "via=narrow"}, leaves({{3, 4}}),
          [](const TL& x) { return x[0].narrow(-1, -3, 2); });
    s.add("narrow", {"start=zero", "length=zero", "via=narrow"}, leaves({{3, 4}}),
          [](const TL& x) { return TL{x[0].narrow(1, 0, 0), x[0].narrow(0, 0, 1)}; });
    s.add("narrow", {"via=split", "dim=positive"}, leaves({{5, 2}}),
          [](const TL& x) { return split(mul(x[0], x[0]), 2, 0); });
    s.add("narrow", {"via=split", "dim=negative"}, leaves({{2, 5}}),
          [](const TL& x) { return split(x[0], std::vector<std::int64_t>{1, 3, 1}, -1); });
    s.add("narrow", {"via=chunk"}, leaves({{3, 4}}),
          [](const TL& x) { return chunk(x[0], 3, 1); });
    s.add("narrow", {"input=non-contiguous"}, leaves({{4, 3}}),
          [](const TL& x) { return tr(x[0]).narrow(1, 1, 2); });

    s.add("slice", {"step=several", "start=none", "end=none"}, leaves({{5, 3}}),
          [](const TL& x) { return x[0].slice(0, std::nullopt, std::nullopt, 2); });
    s.add("slice", {"step=1", "start=positive", "end=negative"}, leaves({{3, 5}}),
          [](const TL& x) { return x[0].slice(1, 1, -1, 1); });
    s.add("slice", {"step=several", "start=negative", "end=past-end"}, leaves({{7, 2}}),
          [](const TL& x) { return x[0].slice(0, -6, 100, 3); });
    s.add("slice", {"start=positive", "end=positive"}, leaves({{6}}),
          [](const TL& x) { return x[0].slice(0, 4, 2, 1); });  // empty: end before start
    s.add("slice", {"input=non-contiguous", "step=several"}, leaves({{5, 4}}),
          [](const TL& x) { return tr(x[0]).slice(1, 1, std::nullopt, 2); });

    s.add("select", {"dim=positive", "index=positive"}, leaves({{3, 4}}),
          [](const TL& x) { return x[0].select(1, 2); });
    s.add("select", {"dim=negative", "index=negative"}, leaves({{3, 4, 2}}),
          [](const TL& x) { return x[0].select(-2, -1); });
    s.add("select", {"input=non-contiguous"}, leaves({{2, 7}}),
          [](const TL& x) { return every_other(x[0]).select(1, 0); });

    s.add("diagonal", {"offset=zero", "dims=default"}, leaves({{3, 3}}),
          [](const TL& x) { return diagonal(x[0]); });
    s.add("diagonal", {"offset=positive", "dims=other"}, leaves({{3, 2, 4}}),
          [](const TL& x) { return diagonal(x[0], 1, 2, 0); });
    s.add("diagonal", {"offset=negative", "dims=negative"}, leaves({{2, 4, 3}}),
          [](const TL& x) { return diagonal(x[0], -1, -2, -1); });
    s.add("diagonal", {"input=empty"}, leaves({{2, 3}}),
          [](const TL& x) { return diagonal(x[0], 3); });  // past the last column: no elements
    s.add("diagonal", {"input=non-contiguous"}, leaves({{4, 3}}),
          [](const TL& x) { return diagonal(tr(x[0]), 1); });

    s.add("as_strided", {"storage_offset=given", "windows=disjoint"}, leaves({{6}}),
          [](const TL& x) { return x[0].as_strided({2, 2}, {3, 1}, 1); });
    s.add("as_strided", {"storage_offset=none", "windows=overlapping"}, leaves({{5}}),
          [](const TL& x) { return x[0].as_strided({3, 3}, {1, 1}); });  // sliding windows share elements

    s.add("expand", {"shape=new-dims", "shape=size-1"}, leaves({{3, 1}}),
          [](const TL& x) { return x[0].expand({2, 3, 4}); });
    s.add("expand", {"shape=keep"}, leaves({{1, 3}}),
          [](const TL& x) { return x[0].expand({2, -1}); });
    s.add("expand", {"input=0-d"}, leaves({Dims{}}),
          [](const TL& x) { return x[0].expand({2, 2}); });
    s.add("expand", {"input=non-contiguous"}, leaves({{1, 7}}),
          [](const TL& x) { return every_other(x[0]).expand({2, 3}); });

    s.add("squeeze", {"dim=all"}, leaves({{3, 1, 2, 1}}),
          [](const TL& x) { return x[0].squeeze(); });
    s.add("squeeze", {"dim=one"}, leaves({{3, 1, 2}}),
          [](const TL& x) { return x[0].squeeze(1); });
    s.add("squeeze", {"dim=negative"}, leaves({{2, 1}}),
          [](const TL& x) { return x[0].squeeze(-1); });
    s.add("squeeze", {"dim=not-size-1"}, leaves({{2, 3}}),
          [](const TL& x) { return mul(x[0].squeeze(0), x[0]); });  // a view of the same shape
    s.add("squeeze", {"input=0-d"}, leaves({Dims{}}),
          [](const TL& x) { return mul(x[0].squeeze(0), x[0]); });

    s.add("unsqueeze", {"dim=first"}, leaves({{3, 2}}),
          [](const TL& x) { return x[0].unsqueeze(0); });
    s.add("unsqueeze", {"dim=last"}, leaves({{3, 2}}),
          [](const TL& x) { return x[0].unsqueeze(2); });
    s.add("unsqueeze", {"dim=negative"}, leaves({{3, 2}}),
          [](const TL& x) { return x[0].unsqueeze(-2); });
    s.add("unsqueeze", {"input=0-d"}, leaves({Dims{}}),
          [](const TL& x) { return x[0].unsqueeze(-1); });
    s.add("unsqueeze", {"input=empty"}, leaves({{0}}),
          [](const TL& x) { return x[0].unsqueeze(1); });

    s.add("flatten", {"dims=all"}, leaves({{2, 3, 2}}),
          [](const TL& x) { return x[0].flatten(); });
    s.add("flatten", {"dims=range"}, leaves({{2, 3, 2, 2}}),
          [](const TL& x) { return x[0].flatten(1, -2); });
    s.add("flatten", {"input=0-d"}, leaves({Dims{}}),
          [](const TL& x) { return x[0].flatten(); });
    s.add("flatten", {"input=non-contiguous"}, leaves({{3, 2, 2}}),
          [](const TL& x) { return x[0].transpose(0, 2).flatten(); });  // a copy

    s.add("unflatten", {"dim=positive", "sizes=explicit"}, leaves({{6, 2}}),
          [](const TL& x) { return x[0].unflatten(0, {2, 3}); });
    s.add("unflatten", {"dim=negative", "sizes=inferred"}, leaves({{2, 6}}),
          [](const TL& x) { return x[0].unflatten(-1, {-1, 2}); });
}

}  // namespace peso::testing
