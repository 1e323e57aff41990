#include "cli/flags.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <functional>
#include <numeric>

#include "core/device.h"

namespace peso::cli {

namespace {

// A validator for a number that must satisfy `ok`; `rule` completes "must be ...".
CLI::Validator numeric(std::function<bool(double)> ok, std::string rule) {
    return CLI::Validator(
        [ok = std::move(ok), rule = std::move(rule)](std::string& s) -> std::string {
            double v = 0;
            const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
            if (ec != std::errc() || end != s.data() + s.size()) return fmt::format("expected a number, got '{}'", s);
            return ok(v) ? std::string() : fmt::format("must be {}, got {}", rule, s);
        },
        "", "");
}

std::string num(double v) { return fmt::format("{}", v); }

std::string command_path(const CLI::App& app) {
    const CLI::App* p = app.get_parent();
    return p ? command_path(*p) + " " + app.get_name() : app.get_name();
}

std::vector<std::string> flag_names(const CLI::App& app) {
    std::vector<std::string> names;
    for (const CLI::Option* o : app.get_options())
        for (const std::string& n : o->get_lnames()) names.push_back("--" + n);
    return names;
}

std::string did_you_mean(const std::optional<std::string>& best, const char* quote) {
    return best ? fmt::format("; did you mean {}{}{}?", quote, *best, quote) : "";
}

}  // namespace

CLI::Validator at_least(double lo) { return numeric([lo](double v) { return v >= lo; }, "at least " + num(lo)); }
CLI::Validator above(double lo) { return numeric([lo](double v) { return v > lo; }, "greater than " + num(lo)); }
CLI::Validator in_range(double lo, double hi) {
    return numeric([lo, hi](double v) { return v >= lo && v <= hi; }, fmt::format("in [{}, {}]", lo, hi));
}
CLI::Validator open_closed(double lo, double hi) {
    return numeric([lo, hi](double v) { return v > lo && v <= hi; }, fmt::format("in ({}, {}]", lo, hi));
}
CLI::Validator closed_open(double lo, double hi) {
    return numeric([lo, hi](double v) { return v >= lo && v < hi; }, fmt::format("in [{}, {})", lo, hi));
}

CLI::Validator device_check() {
    return CLI::Validator(
        [](std::string& s) -> std::string {
            try {
                Device::parse(s);
                return {};
            } catch (const std::exception&) {
                return fmt::format("expected cpu, cuda or cuda:N, got '{}'", s);
            }
        },
        "", "");
}

std::size_t edit_distance(const std::string& a, const std::string& b) {
    std::vector<std::size_t> row(b.size() + 1);
    std::iota(row.begin(), row.end(), std::size_t{0});
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diag = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t up = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
            diag = up;
        }
    }
    return row[b.size()];
}

std::optional<std::string> closest(const std::string& word, const std::vector<std::string>& candidates) {
    std::optional<std::string> best;
    std::size_t best_d = 0;
    for (const auto& c : candidates) {
        const std::size_t d = edit_distance(word, c);
        if (!best || d < best_d) best = c, best_d = d;
    }
    // A typo, not another word: at most 2 edits, or a third of a long word.
    if (best && best_d <= std::max<std::size_t>(2, word.size() / 3)) return best;
    return std::nullopt;
}

std::optional<std::string> explain_unknown(const CLI::App& root, int argc, const char* const* argv) {
    const CLI::App* cur = &root;
    for (int i = 1; i < argc; ++i) {
        const std::string tok = argv[i];
        if (tok == "--") break;
        if (tok.size() > 1 && tok[0] == '-' && !(tok[1] >= '0' && tok[1] <= '9') && tok[1] != '.') {
            const std::string name = tok.substr(0, tok.find('='));
            if (cur->get_option_no_throw(name) != nullptr) continue;
            return fmt::format("unknown flag {} for '{}'{} (see {} --help)", name, command_path(*cur),
                               did_you_mean(closest(name, flag_names(*cur)), ""), command_path(*cur));
        }
        const auto subs = cur->get_subcommands([](const CLI::App*) { return true; });
        if (subs.empty()) continue;  // a leaf command: a flag's value or a positional
        std::vector<std::string> names;
        const CLI::App* next = nullptr;
        for (const CLI::App* s : subs) {
            names.push_back(s->get_name());
            if (s->get_name() == tok) next = s;
        }
        if (next != nullptr) {
            cur = next;
            continue;
        }
        return fmt::format("unknown command '{}' for '{}'{} (see {} --help)", tok, command_path(*cur),
                           did_you_mean(closest(tok, names), "'"), command_path(*cur));
    }
    return std::nullopt;
}

bool given(const CLI::App& cmd, const std::string& flag) { return cmd.count(flag) > 0; }

}  // namespace peso::cli
