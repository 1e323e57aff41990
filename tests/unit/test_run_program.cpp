// Helper programs start without a shell (issue 13): arguments are passed as
// they are, input goes to the program's standard input, a missing program is
// reported, and gnuplot strings are quoted for gnuplot alone.
#include <doctest/doctest.h>

#include <filesystem>

#include "core/error.h"
#include "core/run_program.h"

using namespace peso;
namespace fs = std::filesystem;

TEST_CASE("run_program passes arguments verbatim and its input on stdin") {
    const fs::path dir = fs::temp_directory_path() / "peso_test_run_program";
    fs::remove_all(dir);
    fs::create_directories(dir);
    const fs::path weird = dir / "a b 'c' \"d\" $(touch pwned) `touch pwned2`;touch pwned3";
    // touch creates exactly the one file named by its argument.
    CHECK(run_program({"touch", weird.string()}, "").exit_status == 0);
    CHECK(fs::exists(weird));
    CHECK(std::distance(fs::directory_iterator(dir), fs::directory_iterator()) == 1);
    // The input reaches stdin: `cmp` compares it with a file holding the same bytes.
    const std::string text(200000, 'x');  // more than a pipe holds at once
    {
        std::FILE* f = std::fopen((dir / "same").c_str(), "wb");
        std::fwrite(text.data(), 1, text.size(), f);
        std::fclose(f);
    }
    CHECK(run_program({"cmp", "-s", "-", (dir / "same").string()}, text).exit_status == 0);
    CHECK(run_program({"cmp", "-s", "-", (dir / "same").string()}, text + "y").exit_status == 1);
    // A program that stops reading early does not take this process down (SIGPIPE).
    CHECK(run_program({"head", "-c", "1"}, text).exit_status == 0);
    const ProgramResult missing = run_program({"peso-no-such-program"}, "");
    CHECK_FALSE(missing.started);
    fs::remove_all(dir);
}

TEST_CASE("gnuplot_quote doubles quotes and refuses line breaks") {
    CHECK(gnuplot_quote("a b") == "'a b'");
    CHECK(gnuplot_quote("it's") == "'it''s'");
    CHECK(gnuplot_quote("$(x) \"y\" `z`") == "'$(x) \"y\" `z`'");
    CHECK_THROWS_AS(gnuplot_quote("a\nb"), ValueError);
}
