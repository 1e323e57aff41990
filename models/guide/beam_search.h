#pragma once
// Greedy and beam-search decoding for any autoregressive model, given as a
// function from a batch of prefixes to the log-probabilities of the next token.
#include <cstdint>
#include <functional>
#include <vector>

#include "peso.h"

namespace peso::models {

// prefixes (k, t) int64, each starting with bos -> (k, vocab) log-probabilities
// of the token after each prefix.
using NextLogProbs = std::function<Tensor(const Tensor& prefixes)>;

struct BeamSearchOptions {
    std::int64_t beam_width = 4;
    std::int64_t max_len = 32;  // tokens generated at most, the end token included
    std::int64_t bos = 1;
    std::int64_t eos = 2;
    // Hypotheses are ranked by log_prob / length^length_penalty (0: the plain
    // sum, which favours short outputs; 1: the mean per token).
    double length_penalty = 0.0;
};

struct Hypothesis {
    std::vector<std::int64_t> tokens;  // generated tokens, without bos or eos
    double log_prob = 0.0;             // sum of the log-probabilities of tokens (and of eos if finished)
    double score = 0.0;                // what the ranking uses (see length_penalty)
    bool finished = false;             // whether it ended with eos (else it reached max_len)
};

// The most likely next token at every step until eos or max_len.
Hypothesis greedy_search(const NextLogProbs& next, const BeamSearchOptions& options);

// Keeps the beam_width best prefixes at each step. A candidate that ends with
// eos among the beam_width best of a step is set aside as finished; the
// search stops when beam_width hypotheses have finished (or at max_len, when
// the live ones are added). Returns up to beam_width hypotheses, best first.
// With beam_width 1 it makes exactly greedy_search's choices.
std::vector<Hypothesis> beam_search(const NextLogProbs& next, const BeamSearchOptions& options);

}  // namespace peso::models
