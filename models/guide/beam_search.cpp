#include "models/guide/beam_search.h"

#include <algorithm>
#include <cmath>

namespace peso::models {

namespace {

void check(const BeamSearchOptions& o) {
    PESO_CHECK(o.beam_width >= 1 && o.max_len >= 1, ValueError,
               "beam_search: beam_width and max_len must be >= 1, got {} and {}", o.beam_width, o.max_len);
}

// The prefixes as one (k, 1 + t) int64 tensor that starts with bos.
Tensor prefixes_tensor(const std::vector<Hypothesis>& beams, std::int64_t bos) {
    std::vector<std::vector<std::int64_t>> rows;
    for (const auto& h : beams) {
        rows.push_back({bos});
        rows.back().insert(rows.back().end(), h.tokens.begin(), h.tokens.end());
    }
    const auto k = static_cast<std::int64_t>(rows.size()), t = static_cast<std::int64_t>(rows[0].size());
    std::vector<std::int64_t> flat;
    for (const auto& r : rows) flat.insert(flat.end(), r.begin(), r.end());
    return from_vector(flat, Dims{k, t});
}

// (k, vocab) log-probabilities on the host, as doubles.
std::vector<double> host_log_probs(const NextLogProbs& next, const Tensor& prefixes, std::int64_t& vocab) {
    const Tensor lp = next(prefixes);
    PESO_CHECK(lp.dim() == 2 && lp.size(0) == prefixes.size(0), ShapeError,
               "beam_search: next() must return ({}, vocab) log-probabilities, got {}", prefixes.size(0), lp.sizes());
    vocab = lp.size(1);
    return to_dtype(to_device(lp, Device::cpu()), DType::f64).contiguous().to_vector<double>();
}

double ranking_score(const Hypothesis& h, double length_penalty) {
    const double length = static_cast<double>(h.tokens.size()) + (h.finished ? 1.0 : 0.0);
    return length_penalty == 0.0 ? h.log_prob : h.log_prob / std::pow(std::max(length, 1.0), length_penalty);
}

}  // namespace

Hypothesis greedy_search(const NextLogProbs& next, const BeamSearchOptions& o) {
    check(o);
    NoGradGuard no_grad;
    std::vector<Hypothesis> beam(1);
    Hypothesis& h = beam[0];
    for (std::int64_t step = 0; step < o.max_len && !h.finished; ++step) {
        std::int64_t vocab = 0;
        const auto lp = host_log_probs(next, prefixes_tensor(beam, o.bos), vocab);
        const auto best = static_cast<std::int64_t>(std::max_element(lp.begin(), lp.end()) - lp.begin());
        h.log_prob += lp[static_cast<std::size_t>(best)];
        if (best == o.eos) h.finished = true;
        else h.tokens.push_back(best);
    }
    h.score = ranking_score(h, o.length_penalty);
    return h;
}

std::vector<Hypothesis> beam_search(const NextLogProbs& next, const BeamSearchOptions& o) {
    check(o);
    NoGradGuard no_grad;
    std::vector<Hypothesis> alive(1), finished;
    for (std::int64_t step = 0; step < o.max_len && !alive.empty(); ++step) {
        std::int64_t vocab = 0;
        const auto lp = host_log_probs(next, prefixes_tensor(alive, o.bos), vocab);
        // Every (beam, token) extension, best first; ties go to the lower
        // beam and token index, as argmax picks the first maximum.
        struct Candidate {
            double log_prob;
            std::size_t beam;
            std::int64_t token;
        };
        std::vector<Candidate> cands;
        cands.reserve(lp.size());
        for (std::size_t b = 0; b < alive.size(); ++b)
            for (std::int64_t v = 0; v < vocab; ++v)
                cands.push_back({alive[b].log_prob + lp[b * static_cast<std::size_t>(vocab) + v], b, v});
        std::stable_sort(cands.begin(), cands.end(),
                         [](const Candidate& a, const Candidate& b) { return a.log_prob > b.log_prob; });
        std::vector<Hypothesis> next_alive;
        const auto width = static_cast<std::size_t>(o.beam_width);
        for (std::size_t r = 0; r < cands.size() && next_alive.size() < width; ++r) {
            const Candidate& c = cands[r];
            Hypothesis h = alive[c.beam];
            h.log_prob = c.log_prob;
            if (c.token == o.eos) {
                // Only an end among the step's beam_width best counts as a finished hypothesis.
                if (r < width) {
                    h.finished = true;
                    finished.push_back(std::move(h));
                }
                continue;
            }
            h.tokens.push_back(c.token);
            next_alive.push_back(std::move(h));
        }
        alive = std::move(next_alive);
        if (finished.size() >= width) break;
    }
    if (finished.size() < static_cast<std::size_t>(o.beam_width))
        finished.insert(finished.end(), alive.begin(), alive.end());
    for (auto& h : finished) h.score = ranking_score(h, o.length_penalty);
    std::stable_sort(finished.begin(), finished.end(),
                     [](const Hypothesis& a, const Hypothesis& b) { return a.score > b.score; });
    finished.resize(std::min(finished.size(), static_cast<std::size_t>(o.beam_width)));
    return finished;
}

}  // namespace peso::models
