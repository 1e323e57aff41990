#pragma once
// Starts a helper program (gnuplot) without a shell: posix_spawnp with an
// argument vector, so that no part of a path or option is ever parsed as a
// command line. Its input is written to its standard input.
#include <string>
#include <vector>

namespace peso {

struct ProgramResult {
    bool started = false;  // false: not found or not executable
    int exit_status = -1;  // the status it exited with; -1 when killed by a signal (or not started)
};

// Runs argv[0] (looked up in PATH) with `input` on its standard input and its
// output (stdout and stderr) discarded, and waits for it.
ProgramResult run_program(const std::vector<std::string>& argv, const std::string& input);

// `text` as a single-quoted gnuplot string: inside one, only the quote itself
// is special (doubled). Throws ValueError for a newline, which no quoting covers.
std::string gnuplot_quote(const std::string& text);

}  // namespace peso
