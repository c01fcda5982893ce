//! `synth`: render a seed stack. All logic lives in [`stacks::synth`].

use clap::Parser;

fn main() -> std::process::ExitCode {
    stacks::synth::main(&stacks::registry(), &stacks::synth::SynthArgs::parse())
}

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
