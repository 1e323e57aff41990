// Random ops. Each op reserves a range of Philox counters from its generator
// and the backend computes element i from counter (first + i), so the numbers
// depend only on the seed and the sequence of ops.
#include "backends/registry.h"
#include "tensor/native.h"

namespace peso {

Generator& default_generator() {
    static Generator gen;
    return gen;
}

void manual_seed(std::uint64_t seed) { default_generator().manual_seed(seed); }

}  // namespace peso

namespace peso::native {

namespace {

Generator& pick(Generator* gen) { return gen ? *gen : default_generator(); }

// Fills the contiguous tensor t with a random stream.
Tensor& fill_random(Tensor& t, RandomKind kind, double a, double b, Generator* gen) {
    Generator& g = pick(gen);
    const auto n = static_cast<std::uint64_t>(t.numel());
    const std::uint64_t first = g.reserve(n);
    if (n == 0) return t;
    if (t.is_contiguous()) {
        backend_for(t.device()).random(t.arg(), kind, g.seed(), first, a, b);
        t.impl().storage->bump_version();
        return t;
    }
    Tensor tmp = empty(t.sizes(), t.options());
    backend_for(t.device()).random(tmp.arg(), kind, g.seed(), first, a, b);
    return copy_(t, tmp);
}

DType floating_or_default(const TensorOptions& opts, const char* op) {
    const DType dt = opts.dtype_or(kDefaultDType);
    PESO_CHECK(is_floating(dt), DTypeError, "{}: expected a floating dtype, got {}", op, dt);
    return dt;
}

}  // namespace

Tensor rand(const Dims& shape, TensorOptions opts, Generator* gen) {
    Tensor t = empty(shape, opts.dtype(floating_or_default(opts, "rand")));
    return fill_random(t, RandomKind::uniform, 0.0, 1.0, gen);
}

Tensor randn(const Dims& shape, TensorOptions opts, Generator* gen) {
    Tensor t = empty(shape, opts.dtype(floating_or_default(opts, "randn")));
    return fill_random(t, RandomKind::normal, 0.0, 1.0, gen);
}

Tensor randint(std::int64_t low, std::int64_t high, const Dims& shape, TensorOptions opts, Generator* gen) {
    PESO_CHECK(low < high, ValueError, "randint: low ({}) must be less than high ({})", low, high);
    Tensor t = empty(shape, opts.dtype(opts.dtype_or(DType::i64)));
    return fill_random(t, RandomKind::integer, static_cast<double>(low), static_cast<double>(high), gen);
}

Tensor randperm(std::int64_t n, TensorOptions opts, Generator* gen) {
    PESO_CHECK(n >= 0, ValueError, "randperm: n must be non-negative, got {}", n);
    // Sorting random 64-bit-precision keys gives a uniform permutation
    // (ties have probability ~n^2 / 2^53 and are broken stably).
    Tensor keys = rand({n}, TensorOptions(DType::f64).device(opts.device_), gen);
    return to_dtype(argsort(keys), opts.dtype_or(DType::i64));
}

Tensor rand_like(const Tensor& t, Generator* gen) { return rand(t.sizes(), t.options(), gen); }
Tensor randn_like(const Tensor& t, Generator* gen) { return randn(t.sizes(), t.options(), gen); }

Tensor bernoulli(const Tensor& p, Generator* gen) {
    PESO_CHECK(is_floating(p.dtype()), DTypeError, "bernoulli: probabilities must be floating, got {}", p.dtype());
    const Tensor u = rand(p.sizes(), p.options(), gen);
    return to_dtype(lt(u, p), p.dtype());
}

Tensor multinomial(const Tensor& probs, std::int64_t num_samples, bool replacement, Generator* gen) {
    PESO_CHECK(probs.dim() == 1 || probs.dim() == 2, ShapeError,
               "multinomial: probabilities must be 1-D or 2-D, got shape {}", probs.sizes());
    PESO_CHECK(is_floating(probs.dtype()), DTypeError, "multinomial: probabilities must be floating, got {}",
               probs.dtype());
    const Tensor p2 = probs.dim() == 1 ? unsqueeze(probs, 0) : probs;
    const std::int64_t categories = p2.size(1);
    PESO_CHECK(categories > 0, ShapeError, "multinomial: no categories in shape {}", probs.sizes());
    PESO_CHECK(num_samples > 0, ValueError, "multinomial: num_samples must be positive, got {}", num_samples);
    PESO_CHECK(replacement || num_samples <= categories, ValueError,
               "multinomial: cannot draw {} samples without replacement from {} categories", num_samples,
               categories);
    PESO_CHECK(!any(lt(p2, 0.0)).item<bool>() && !any(isnan(p2)).item<bool>() && !any(isinf(p2)).item<bool>(),
               ValueError, "multinomial: probabilities must be finite and non-negative");
    const Tensor total = sum(p2, {1}, true);
    PESO_CHECK(all(gt(total, 0.0)).item<bool>(), ValueError, "multinomial: a row of probabilities sums to zero");
    const Tensor p = div(to_dtype(p2, DType::f64), to_dtype(total, DType::f64));
    Tensor out;
    if (replacement) {
        // Inverse-CDF sampling: the sample is the number of CDF entries below u.
        const Tensor cdf = cumsum(p, 1);
        const Tensor u = rand({p.size(0), num_samples, 1}, TensorOptions(DType::f64).device(p.device()), gen);
        const Tensor below = lt(unsqueeze(cdf, 1), u);  // (rows, samples, categories)
        out = clamp(sum(below, {2}), Scalar(0), Scalar(categories - 1));
    } else {
        // Gumbel-top-k (Efraimidis-Spirakis): the k largest log(p) + Gumbel
        // noise are a sample without replacement; zero-probability categories
        // get -inf keys and come last.
        const Tensor u = rand(p.sizes(), TensorOptions(DType::f64).device(p.device()), gen);
        const Tensor gumbel = neg(log(neg(log(clamp(u, Scalar(1e-300), std::nullopt)))));
        const Tensor keys = add(log(p), gumbel);
        out = std::get<1>(topk(keys, num_samples, 1, true, true));
    }
    out = to_dtype(out, DType::i64);
    return probs.dim() == 1 ? squeeze(out, 0) : out;
}

Tensor& uniform_(Tensor& t, double lo, double hi, Generator* gen) {
    PESO_CHECK(is_floating(t.dtype()), DTypeError, "uniform_: expected a floating tensor, got {}", t.dtype());
    return fill_random(t, RandomKind::uniform, lo, hi, gen);
}

Tensor& normal_(Tensor& t, double mean, double std, Generator* gen) {
    PESO_CHECK(is_floating(t.dtype()), DTypeError, "normal_: expected a floating tensor, got {}", t.dtype());
    PESO_CHECK(std >= 0, ValueError, "normal_: std must be non-negative, got {}", std);
    return fill_random(t, RandomKind::normal, mean, std, gen);
}

}  // namespace peso::native
