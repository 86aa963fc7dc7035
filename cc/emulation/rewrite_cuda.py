"""Build step of the CUDA host emulation: a .cu file as C++ for the host compiler.

    python rewrite_cuda.py SOURCE.cu OUTPUT.cc

Two mechanical rewrites, nothing else (the rest is done by the emulation's
cuda_runtime.h, cc/emulation/include/):
- `kernel<<<grid, block[, shared[, stream]]>>>(args)` becomes
  `::kgen_emu::launch(::kgen_emu::LaunchConfig(grid, block, ...), kernel, args)`;
- `extern __shared__ T name[];` becomes a pointer to the block's dynamic
  shared memory.
Line numbers are kept (a `#line` names the original file), so compiler
messages and the emulator's barrier sites point at the .cu source.

Mutants: MUTANTS below lists deliberately broken variants of the kernels, each
compiled in behind a run-time switch (`KGEN_EMU_MUTANT(name)`, off unless
`kgen_ops._native_emulated.emulation_set_mutant(name)`), for the tests that
show the emulation catches such faults (tests/test_cuda_emulation.py). Each
mutant names the exact source text it changes; the build fails if that text is
gone, so a mutant never silently stops testing anything.
"""

import pathlib
import re
import sys

# file name -> [(mutant name, original text, mutated text)]
MUTANTS = {
    "gibbs_sweeps.cu": [
        # The barrier between drawing h and reading it for p(v | h).
        ("fused-missing-barrier",
         "      __syncthreads();  // h_state complete; every read of v_state is done",
         '      if (!KGEN_EMU_MUTANT("fused-missing-barrier")) __syncthreads();'),
        # v drawn with the uniform of the next element.
        ("fused-philox-index",
         "gibbs_uniform(p.seed, draw + 1, b * V + i)",
         'gibbs_uniform(p.seed, draw + 1, b * V + i + (KGEN_EMU_MUTANT("fused-philox-index") ? 1 : 0))'),
        # The last visible unit's probability never stored.
        ("fused-unwritten-output",
         "        p.v_prob[b * V + i] = prob;",
         '        if (!KGEN_EMU_MUTANT("fused-unwritten-output") || i + 1 < V) p.v_prob[b * V + i] = prob;'),
    ],
    "philox.cu": [
        # Blocks of 2048 threads, past the device's 1024.
        ("philox-block-size",
         "<<<static_cast<unsigned>(grid), kThreadsPerBlock, 0, stream>>>",
         '<<<static_cast<unsigned>(grid), kThreadsPerBlock * (KGEN_EMU_MUTANT("philox-block-size") ? 8 : 1), 0, stream>>>'),
    ],
    "gibbs_sweeps_tiled.cu": [
        # The barrier that ends each K slice (double buffering then races).
        ("tiled-missing-barrier",
         "    if (t + 1 < slices) store_slice(buffer ^ 1);\n    __syncthreads();",
         '    if (t + 1 < slices) store_slice(buffer ^ 1);\n    if (!KGEN_EMU_MUTANT("tiled-missing-barrier")) __syncthreads();'),
        # The Philox word of the element after.
        ("tiled-philox-index",
         "uint32_to_unit_float(word_of(lo, hi, first + e))",
         'uint32_to_unit_float(word_of(lo, hi, first + e + (KGEN_EMU_MUTANT("tiled-philox-index") ? 1 : 0)))'),
    ],
}

LAUNCH = re.compile(
    r"(?P<kernel>[A-Za-z_][\w:]*(?:<[^;{}()]*>)?)(?P<space>\s*)<<<(?P<config>.*?)>>>\s*\(", re.DOTALL)
EXTERN_SHARED = re.compile(r"extern\s+__shared__\s+(?:__align__\(\s*\d+\s*\)\s+)?(?P<type>[\w:\s]+?)\s+(?P<name>\w+)\s*\[\s*\]\s*;")


def rewrite(text, name):
    for mutant, original, mutated in MUTANTS.get(name, []):
        if text.count(original) != 1:
            sys.exit(f"rewrite_cuda.py: mutant {mutant!r} expects this text exactly once in {name} "
                     f"(update MUTANTS to the kernel's new code):\n{original}")
        assert original.count("\n") == mutated.count("\n")
        text = text.replace(original, mutated)

    def launch(match):
        replacement = (f"::kgen_emu::launch(::kgen_emu::LaunchConfig({match['config']}), "
                       f"{match['kernel']}, ")
        return replacement + "\n" * (match[0].count("\n") - replacement.count("\n"))

    text = LAUNCH.sub(launch, text)
    text = EXTERN_SHARED.sub(
        lambda m: f"{m['type']}* const {m['name']} = "
                  f"reinterpret_cast<{m['type']}*>(::kgen_emu::dynamic_shared_memory());", text)
    if "<<<" in text or "extern __shared__" in text:
        sys.exit(f"rewrite_cuda.py: a launch or extern __shared__ in {name} was not rewritten")
    return text


def main():
    source, output = map(pathlib.Path, sys.argv[1:3])
    text = rewrite(source.read_text(), source.name)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(f'#line 1 "{source.as_posix()}"\n' + text)


if __name__ == "__main__":
    main()
