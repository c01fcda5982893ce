//! `iac-aws`: the SDK engine. Plans, applies, destroys and checks drift of an
//! [`iac_core::Stack`] straight through the AWS SDKs, with no CloudFormation and no state file:
//! state is the `iac:*` tags on the resources themselves ([`state`]).
//!
//! The desired state of each resource is its CloudFormation rendering with every intrinsic
//! resolved against what exists ([`desired`]), so the SDK path and the template cannot
//! disagree. One module per AWS service ([`services`]) creates, updates, deletes and discovers
//! resources; [`engine`] walks the dependency graph in parallel. [`bake`] bakes the stack's AMIs
//! (builder instance, image, cleanup of older images); [`rollout`] carries out a stack's release
//! order: blue/green switches, stops and starts, one-off commands through SSM. [`cloudformation`]
//! is the other engine: the same plan, apply, destroy and drift carried out by CloudFormation.

pub mod adapter;
pub mod bake;
pub mod clients;
pub mod cloudformation;
pub mod desired;
pub mod engine;
pub mod error;
pub mod plan;
pub mod rollout;
pub mod services;
pub mod state;

pub use clients::Clients;
pub use engine::{Engine, Options};
pub use error::{AwsError, SdkFailure};
pub use plan::{Action, Change, Plan};
pub use rollout::{RolloutEvent, RolloutOptions, Summary, rollout};

use iac_core::stack::Stack;

/// Checks that every resource of `stack` is of a kind the SDK engine deploys; the error lists
/// every resource that is not, at once.
pub fn check_supported(stack: &Stack) -> Result<(), AwsError> {
    let mut refused: Vec<AwsError> =
        stack.resources().filter_map(|entry| services::kind_of(stack, entry).err()).collect();
    match refused.len() {
        0 => Ok(()),
        1 => Err(refused.remove(0)),
        _ => Err(AwsError::UnsupportedMany { stack: stack.name().to_owned(), resources: refused }),
    }
}

/// Every kind the SDK engine deploys: its label and CloudFormation type, in the engine's order.
pub fn supported_kinds() -> Vec<(&'static str, &'static str)> {
    adapter::SdkKind::ALL.iter().map(|k| (k.label(), k.cfn_type())).collect()
}

/// The reference page of the kinds the SDK engine deploys (`docs/reference/sdk-kinds.md`): each
/// with its CloudFormation type, what the engine keeps of it when data loss is allowed, and what
/// forces a replacement, all from the kinds' specs.
pub fn supported_kinds_reference() -> String {
    use std::fmt::Write as _;

    use iac_core::model::spec::{Data, Keep};
    let mut out = String::from(
        "# Kinds the SDK engine deploys\n\nGenerated from the kinds' specs and the engine's adapters \
         (`UPDATE_DOCS=1 cargo test -p iac-aws --features testing --test unsupported`). Every other kind is \
         refused before any change, every such resource listed at once; render it with `synth`.\n\n\
         | kind | CloudFormation type | holds data (kept on an allowed delete) | replaced when these change |\n\
         |---|---|---|---|\n",
    );
    for kind in adapter::SdkKind::ALL {
        let spec = iac_core::model::spec::by_cloudformation_type(kind.cfn_type());
        let data = match spec.map(|s| s.data) {
            Some(Data::Holds { keep: Keep::Snapshot }) => "yes (final snapshot)",
            Some(Data::Holds { keep: Keep::Retain }) => "yes (kept, detached)",
            Some(Data::None) | None => "no",
        };
        let replaced: Vec<String> =
            spec.map(|s| s.replacement.iter().map(|r| format!("`{}`", r.property)).collect()).unwrap_or_default();
        let replaced = if replaced.is_empty() { "nothing".to_owned() } else { replaced.join(", ") };
        let _ = writeln!(out, "| {} | `{}` | {data} | {replaced} |", kind.label(), kind.cfn_type());
    }
    out
}

/// The kinds the SDK engine deploys as a help text: one `label (Type)` per line.
pub fn supported_kinds_help() -> String {
    let mut out = String::from("Resource kinds the SDK engine deploys:\n");
    for (label, cfn) in supported_kinds() {
        out.push_str("  ");
        out.push_str(label);
        out.push_str(" (");
        out.push_str(cfn);
        out.push_str(")\n");
    }
    out.push_str("Anything else is refused before any change, with every such resource listed; render it with\n`synth --target cloudformation` or `--target terraform` instead.");
    out
}
