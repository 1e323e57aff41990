#!/usr/bin/env python3
"""Checks that the chapter programs still draw the figures the pages show.

    check_figures.py REPO_ROOT EXAMPLES_BIN WORK_DIR

Runs scripts/make_doc_figures.sh --quick (a few steps per program) into
WORK_DIR, then requires that it produced exactly the PNGs committed in
docs/img/, each a complete PNG (signature, chunk CRCs, all pixel rows in its
compressed data), and that every committed one is a valid PNG under 150 KB.
Standard library only.
"""
import shutil
import struct
import subprocess
import sys
import zlib
from pathlib import Path

MAX_BYTES = 150 * 1024
SIGNATURE = b"\x89PNG\r\n\x1a\n"
CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}  # colour type -> samples per pixel


def png_problem(path: Path):
    """None if `path` is a whole, uninterlaced PNG, else what is wrong with it."""
    data = path.read_bytes()
    if not data.startswith(SIGNATURE):
        return "no PNG signature"
    pos, chunks = len(SIGNATURE), []
    while pos + 12 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if len(body) != length or pos + 12 + length > len(data):
            return f"chunk {kind!r} cut short"
        (crc,) = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])
        if zlib.crc32(kind + body) != crc:
            return f"bad CRC in chunk {kind!r}"
        chunks.append((kind, body))
        pos += 12 + length
    if not chunks or chunks[0][0] != b"IHDR" or chunks[-1][0] != b"IEND":
        return "does not start with IHDR and end with IEND"
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", chunks[0][1])
    if width == 0 or height == 0 or colour not in CHANNELS or interlace:
        return f"unexpected header {width}x{height}, colour type {colour}, interlace {interlace}"
    try:
        pixels = zlib.decompress(b"".join(body for kind, body in chunks if kind == b"IDAT"))
    except zlib.error as e:
        return f"image data does not decompress: {e}"
    row = 1 + (width * CHANNELS[colour] * depth + 7) // 8
    if len(pixels) != row * height:
        return f"{len(pixels)} bytes of pixels for {height} rows of {row}"
    return None


def main():
    root, bin_dir, work = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
    shutil.rmtree(work, ignore_errors=True)
    run = subprocess.run(["bash", str(root / "scripts" / "make_doc_figures.sh"), "--quick", str(work),
                          "--bin", str(bin_dir), "--work", str(work / "runs")])
    problems = [] if run.returncode == 0 else [f"make_doc_figures.sh --quick exited with {run.returncode}"]
    committed = {p.name for p in (root / "docs" / "img").glob("*.png")}
    drawn = {p.name for p in (work / "img").glob("*.png")}
    for name in sorted(committed - drawn):
        problems.append(f"docs/img/{name} was not drawn by the quick run")
    for name in sorted(drawn - committed):
        problems.append(f"{name} is drawn but not committed in docs/img/")
    for name in sorted(drawn):
        if (why := png_problem(work / "img" / name)) is not None:
            problems.append(f"drawn {name}: {why}")
    for name in sorted(committed):
        path = root / "docs" / "img" / name
        if (why := png_problem(path)) is not None:
            problems.append(f"docs/img/{name}: {why}")
        if path.stat().st_size > MAX_BYTES:
            problems.append(f"docs/img/{name}: {path.stat().st_size // 1024} KB, over {MAX_BYTES // 1024} KB")
    for p in problems:
        print(p)
    print(f"{len(problems)} problem(s)" if problems else f"{len(drawn)} figures drawn, all valid and committed")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
