#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets (fuzz/corpus/<target>/): small
inputs made here, valid and slightly broken, that start each fuzzer inside
the formats. Run from the repository root: python3 fuzz/make_corpus.py"""
import json
import os
import struct
import shutil

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")


def put(target, name, data):
    d = os.path.join(ROOT, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def safetensors(entries, metadata=None):
    """entries: [(name, dtype, shape, raw bytes)] -> a safetensors file."""
    header, data, off = {}, b"", 0
    if metadata:
        header["__metadata__"] = metadata
    for name, dtype, shape, raw in entries:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [off, off + len(raw)]}
        data += raw
        off += len(raw)
    js = json.dumps(header, separators=(",", ":")).encode()
    js += b" " * ((8 - (len(js) + 8) % 8) % 8)
    return struct.pack("<Q", len(js)) + js + data


f32 = lambda *v: struct.pack("<%df" % len(v), *v)
put("safetensors", "one_f32", safetensors([("w", "F32", [2, 2], f32(1, 2, 3, 4))]))
put("safetensors", "dtypes", safetensors([("a", "F64", [1], struct.pack("<d", 1.5)), ("b", "I64", [2], struct.pack("<2q", -1, 7)),
                                          ("c", "BOOL", [3], b"\x00\x01\x02"), ("d", "BF16", [1], b"\x80\x3f"),
                                          ("e", "F16", [0, 3], b""), ("f", "I32", [], struct.pack("<i", 5))],
                                         {"format": "pt", "k": "v"}))
put("safetensors", "overlap", safetensors([("a", "F32", [1], f32(1)), ("b", "F32", [1], f32(2))]).replace(b"[4,8]", b"[0,4]"))
put("safetensors", "empty_header", safetensors([]))

put("gpt_config", "config", json.dumps({"n_layer": 2, "n_head": 2, "n_embd": 16, "block_size": 8, "vocab_size": 11,
                                        "dropout": 0.0, "bias": True}))
put("gpt_config", "char_tokenizer", json.dumps({"type": "char", "version": 1, "chars": "\n abcé€"}))
put("gpt_config", "gpt2_tokenizer", json.dumps({"type": "gpt2", "version": 1, "vocab_size": 50257}))
put("gpt_config", "manifest", json.dumps({"save": "0123456789abcdef", "files": {"config.json": {"size": 124},
                                          "model.safetensors": {"size": 20416}}, "info": {"step": 4}}))

fixtures = os.path.join(os.path.dirname(ROOT), "..", "tests", "fixtures", "gpt2")
llmc = open(os.path.join(fixtures, "llmc_tiny.bin"), "rb").read()
put("llmc", "tiny", llmc)
put("llmc", "header_only", llmc[:1024])
put("llmc", "bf16_header", llmc[:4] + struct.pack("<i", 5) + llmc[8:1024])


def bytes_to_unicode():
    """GPT-2's printable stand-ins for the 256 byte values."""
    keep = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAC + 1)) + list(range(0xAE, 0xFF + 1))
    out, n = {}, 0
    for b in range(256):
        if b in keep:
            out[b] = chr(b)
        else:
            out[b] = chr(256 + n)
            n += 1
    return out


b2u = bytes_to_unicode()
tokens = [b2u[b] for b in range(256)]
merges = [("h", "e"), ("l", "l"), ("he", "ll"), ("Ġ", "w"), ("o", "r")]
tokens += [a + b for a, b in merges]
encoder = json.dumps({t: i for i, t in enumerate(tokens)}, ensure_ascii=False)
vocab = "#version: 0.2\n" + "".join("%s %s\n" % m for m in merges)
put("tokenizer_files", "tiny", encoder.encode() + b"\x00" + vocab.encode())
put("tokenizer_files", "no_merges", encoder.encode() + b"\x00#version: 0.2\n")

for i, text in enumerate(["Hello, world! It's 2026.", "  spaces\n\nand\ttabs ", "héllo wörld — 日本語 🙂",
                          "x" * 300, "\xff\xfe broken \xc3"]):
    put("bpe_encode", "text%d" % i, text.encode("utf-8", "surrogateescape") if i < 4 else b"\xff\xfe broken \xc3")

for i, args in enumerate([["gpt", "train", "--data", "x.txt", "--batch", "4", "--out", "o"],
                          ["gpt", "sample", "--ckpt", "c", "--tokens", "10", "--top-k", "5"],
                          ["gpt", "import", "--format", "hf", "m.safetensors", "--out", "o", "--force"],
                          ["gpt", "export", "--format", "llmc", "--ckpt", "c", "--out", "x.bin"],
                          ["gpt", "eval", "--ckpt", "c", "--data", "d", "--split", "val"],
                          ["gpt", "train", "--help"]]):
    put("cli_args", "args%d" % i, "\0".join(args))
print("seed corpora in", ROOT)
