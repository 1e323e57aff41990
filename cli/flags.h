#pragma once
// Flag checks in the user's words: range validators that CLI11 runs at parse
// time (so `--top-p 1.5` fails before any file is read, with a message that
// names the flag), and "did you mean" suggestions for mistyped subcommands and
// flags.
#include <CLI/CLI.hpp>
#include <optional>
#include <string>
#include <vector>

namespace peso::cli {

// Numeric validators. CLI11 prefixes their message with the flag's name:
// "--top-k: must be at least 0, got -1".
CLI::Validator at_least(double lo);        // value >= lo
CLI::Validator above(double lo);           // value > lo
CLI::Validator in_range(double lo, double hi);  // lo <= value <= hi
CLI::Validator open_closed(double lo, double hi);  // lo < value <= hi
CLI::Validator closed_open(double lo, double hi);  // lo <= value < hi
// A device name Device::parse accepts: "--device: expected cpu, cuda or cuda:N, got 'tpu'".
CLI::Validator device_check();

// Levenshtein distance (bytes).
std::size_t edit_distance(const std::string& a, const std::string& b);
// The candidate closest to `word`, if close enough to be a likely typo.
std::optional<std::string> closest(const std::string& word, const std::vector<std::string>& candidates);

// After a parse error: the first command-line word the app does not know
// (a subcommand or a flag), as a message with a suggestion, e.g.
// "unknown command 'trian' for 'peso gpt'; did you mean 'train'?". None when
// every word is known (the error lies elsewhere).
std::optional<std::string> explain_unknown(const CLI::App& root, int argc, const char* const* argv);

// Whether the flag was given on the command line (not left at its default).
bool given(const CLI::App& cmd, const std::string& flag);

}  // namespace peso::cli
