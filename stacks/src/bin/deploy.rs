//! `deploy`: plan, apply, destroy and drift through the AWS SDKs. All logic lives in
//! [`stacks::deploy`].

use clap::Parser;

fn main() -> std::process::ExitCode {
    stacks::deploy::main(&stacks::registry(), &stacks::deploy::DeployArgs::parse())
}
