// tokenizer_bench: encode and decode throughput (MB/s of UTF-8 text, one
// thread) of the GPT-2 BPE tokenizer and the char tokenizer on a text file.
//
//   tokenizer_bench FILE [--bpe-dir DIR] [--repeats N]
//
// e.g. build/bench/tokenizer_bench ../shared/data/tinyshakespeare.txt
// "cold" is the first encode by a freshly loaded tokenizer (empty word
// cache); the other figures are medians of N runs (default 5).
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#include "bench/timing.h"
#include "nn/tokenizers/bpe_tokenizer.h"
#include "nn/tokenizers/char_tokenizer.h"

using namespace peso;
using peso::bench::median;
using peso::bench::now_seconds;

namespace {

struct Options {
    std::string file;
    std::string bpe_dir;
    int repeats = 5;
};

[[noreturn]] void usage(const char* argv0) {
    std::fprintf(stderr, "usage: %s FILE [--bpe-dir DIR] [--repeats N]\n", argv0);
    std::exit(2);
}

Options parse(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        const std::string_view a = argv[i];
        if (a == "--bpe-dir" && i + 1 < argc) {
            o.bpe_dir = argv[++i];
        } else if (a == "--repeats" && i + 1 < argc) {
            o.repeats = std::atoi(argv[++i]);
        } else if (a == "-h" || a == "--help" || a.starts_with("-") || !o.file.empty()) {
            usage(argv[0]);
        } else {
            o.file = a;
        }
    }
    if (o.file.empty() || o.repeats < 1) usage(argv[0]);
    if (o.bpe_dir.empty()) {
#ifdef PESO_GPT2_BPE_DIR
        o.bpe_dir = PESO_GPT2_BPE_DIR;
#else
        o.bpe_dir = nn::default_gpt2_bpe_dir().string();
#endif
    }
    return o;
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot open " + path);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

template <class F>
double median_seconds(int repeats, F&& f) {
    std::vector<double> t;
    for (int r = 0; r < repeats; ++r) {
        const double t0 = now_seconds();
        f();
        t.push_back(now_seconds() - t0);
    }
    return median(std::move(t));
}

void report(const char* what, double bytes, double seconds, std::size_t tokens) {
    std::printf("  %-28s %8.1f MB/s  (%7.2f ms, %zu tokens)\n", what, bytes / seconds / 1e6, seconds * 1e3, tokens);
}

void bench_gpt2(const std::string& text, const Options& o) {
    const double t0 = now_seconds();
    const auto tok = nn::Gpt2Tokenizer::load(o.bpe_dir);
    const double load_s = now_seconds() - t0;
    std::printf("GPT-2 BPE (files from %s, loaded in %.0f ms)\n", o.bpe_dir.c_str(), load_s * 1e3);

    const double c0 = now_seconds();
    std::vector<int> ids = tok.encode(text);
    const double cold_s = now_seconds() - c0;
    const double bytes = static_cast<double>(text.size());
    report("encode (cold cache)", bytes, cold_s, ids.size());
    const double encode_s = median_seconds(o.repeats, [&] { ids = tok.encode(text); });
    report("encode", bytes, encode_s, ids.size());
    std::string back;
    const double decode_s = median_seconds(o.repeats, [&] { back = tok.decode(ids); });
    report("decode", bytes, decode_s, ids.size());
    if (back != text) std::printf("  WARNING: decode(encode(text)) != text (the file is not valid UTF-8?)\n");
}

void bench_char(const std::string& text, const Options& o) {
    std::printf("char\n");
    const auto tok = nn::CharTokenizer::from_text(text);
    const double bytes = static_cast<double>(text.size());
    std::vector<int> ids;
    const double encode_s = median_seconds(o.repeats, [&] { ids = tok.encode(text); });
    report("encode", bytes, encode_s, ids.size());
    std::string back;
    const double decode_s = median_seconds(o.repeats, [&] { back = tok.decode(ids); });
    report("decode", bytes, decode_s, ids.size());
    if (back != text) std::printf("  WARNING: decode(encode(text)) != text\n");
}

}  // namespace

int main(int argc, char** argv) {
    const Options o = parse(argc, argv);
    try {
        const std::string text = read_file(o.file);
        std::printf("%s: %zu bytes, 1 thread, median of %d runs\n", o.file.c_str(), text.size(), o.repeats);
        bench_gpt2(text, o);
        bench_char(text, o);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "tokenizer_bench: %s\n", e.what());
        return 1;
    }
    return 0;
}
