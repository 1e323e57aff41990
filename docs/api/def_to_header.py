#!/usr/bin/env python3
"""Writes the differentiable ops of tensor/differentiable_ops.def as plain
declarations in namespace peso, each with its comment as a Doxygen comment, for
the API reference only: Doxygen cannot see declarations a macro generates
(autograd/functions.h). The comment of an op is the // lines right above its
PESO_OP row (section rules "// ----" excepted), then its trailing // comment.

    def_to_header.py DEF_FILE OUT_HEADER
"""
import re
import sys
from pathlib import Path


def entries(text):
    """(comment lines, name, parameters, return type, trailing comment) per PESO_OP row."""
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        if not lines[i].startswith("PESO_OP("):
            i += 1
            continue
        docs = []
        k = i - 1
        while k >= 0 and lines[k].startswith("//") and not lines[k].startswith("// ----"):
            docs.insert(0, lines[k][2:].strip())
            k -= 1
        row = lines[i]
        while row.count("(") > row.count(")"):  # a row may continue on the next lines
            i += 1
            row += " " + lines[i].strip()
        code, _, trailing = row.partition("//")
        body = code.strip()[len("PESO_OP("):-1]
        name, rest = body.split(",", 1)
        rest = rest.strip()
        depth = 0
        for end, ch in enumerate(rest):
            depth += (ch == "(") - (ch == ")")
            if depth == 0:
                break
        yield docs, name.strip(), rest[:end + 1], rest[end + 1:].lstrip(", ").strip(), trailing.strip()
        i += 1


def main():
    source, out = Path(sys.argv[1]), Path(sys.argv[2])
    text = ["#pragma once", f"// Generated from {source.name} by docs/api/def_to_header.py for the API reference.",
            '#include "tensor/tensor.h"', "", "namespace peso {", ""]
    for docs, name, params, ret, trailing in entries(source.read_text(encoding="utf-8")):
        if trailing:
            docs.append(f"({trailing})" if docs else trailing)
        text += [f"/// {d}" for d in docs] + [f"{ret} {name}{params};", ""]
    text.append("}  // namespace peso")
    out.parent.mkdir(parents=True, exist_ok=True)
    new = "\n".join(text) + "\n"
    if not out.exists() or out.read_text(encoding="utf-8") != new:
        out.write_text(new, encoding="utf-8")


if __name__ == "__main__":
    main()
