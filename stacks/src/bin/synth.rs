//! `synth`: render a seed stack. All logic lives in [`stacks::synth`].

use clap::Parser;

/// mimalloc: a quarter of synth's instructions were glibc's `malloc` and `free` (rendering builds
/// and drops a JSON tree per resource). Built without transparent huge pages, which would
/// count whole 2 MB pages in the resident set.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    stacks::synth::main(&stacks::registry(), &stacks::synth::SynthArgs::parse())
}
