//! `rollout`: bake (optionally) and roll a new AMI out blue/green in the stack's release order.
//! All logic lives in [`stacks::rollout`].

use clap::Parser;

fn main() -> std::process::ExitCode {
    stacks::rollout::main(&stacks::registry(), &stacks::rollout::RolloutArgs::parse())
}
