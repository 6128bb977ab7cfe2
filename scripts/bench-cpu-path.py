#!/usr/bin/env python3
"""Runs a benchmark as a CPU without AVX-512 (or without AVX2) would.

UTF-8 validation picks its implementation at run time from what the CPU
reports (ps-simdutf8 for wscore: AVX-512, AVX2 or SSE4.2; simdutf8 0.1.5 for
fastwebsockets: AVX2 or SSE4.2), so on an AVX-512 host a plain `cargo bench`
measures only the fastest path. Most servers and laptops have no AVX-512.

This builds the bench against copies of both crates whose run-time
detection skips the paths above the one asked for, in its own target
directory, through `cargo --config patch...`: no code in the workspace
changes, and every contender gets the same CPU path. Cargo.lock is put back
afterwards. Masking (src/mask.rs) takes AVX2 on AVX-512 and AVX2 CPUs alike;
for `sse4.2` it is built with `--cfg wscore_mask_sse2`, the SSE2 path a CPU
without AVX2 takes (fastwebsockets' masking has no CPU-dependent path).

    scripts/bench-cpu-path.py avx2 decode -- 'decode/d-' --measurement-time 3
    scripts/bench-cpu-path.py sse4.2 decode
"""

import json
import os
import pathlib
import shutil
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent

# What each CPU path adds to RUSTFLAGS.
RUSTFLAGS = {"avx2": "", "sse4.2": "--cfg wscore_mask_sse2"}

# (crate, the line that enables a path, for each path to skip) per CPU path.
SKIPS = {
    "avx2": [
        ("ps-simdutf8", "if cpu::avx512f() &&"),
    ],
    "sse4.2": [
        ("ps-simdutf8", "if cpu::avx512f() &&"),
        ("ps-simdutf8", "} else if cpu::avx2() {"),
        ("simdutf8", 'if std::is_x86_feature_detected!("avx2") {'),
    ],
}


def sources():
    """The registry source directory of each crate, from cargo metadata."""
    meta = json.loads(
        subprocess.run(
            ["cargo", "metadata", "--format-version", "1", "--locked"],
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    )
    return {
        package["name"]: pathlib.Path(package["manifest_path"]).parent
        for package in meta["packages"]
        if package["source"] and package["name"] in ("ps-simdutf8", "simdutf8")
    }


def patched(path, out):
    """Copies the crates and turns off the skipped detections; the patch
    arguments for cargo."""
    found = sources()
    args = []
    for crate in sorted({crate for crate, _ in SKIPS[path]}):
        copy = out / "src" / crate
        shutil.rmtree(copy, ignore_errors=True)
        shutil.copytree(found[crate], copy)
        dispatch = copy / "src" / "implementation" / "x86" / "mod.rs"
        text = dispatch.read_text()
        for skipped_crate, line in SKIPS[path]:
            if skipped_crate != crate:
                continue
            if line not in text:
                sys.exit(f"{crate}: its dispatch changed, '{line}' is gone: update SKIPS")
            text = text.replace(line, line.replace("if ", "if false && ", 1))
        dispatch.write_text(text)
        args += ["--config", f'patch.crates-io.{crate}.path="{copy}"']
    return args


def main():
    if len(sys.argv) < 3 or sys.argv[1] not in SKIPS:
        sys.exit(__doc__)
    path, bench, rest = sys.argv[1], sys.argv[2], sys.argv[3:]
    out = ROOT / "target" / "cpu-path" / path
    lock = (ROOT / "Cargo.lock").read_bytes()
    try:
        command = ["cargo", "bench", *patched(path, out), "--bench", bench, *rest]
        flags = f'{os.environ.get("RUSTFLAGS", "")} {RUSTFLAGS[path]}'.strip()
        env = {**os.environ, "CARGO_TARGET_DIR": str(out), "RUSTFLAGS": flags}
        sys.exit(subprocess.run(command, cwd=ROOT, env=env).returncode)
    finally:
        (ROOT / "Cargo.lock").write_bytes(lock)


if __name__ == "__main__":
    main()
