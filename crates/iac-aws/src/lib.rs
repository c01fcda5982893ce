//! `iac-aws`: the SDK engine. Plans, applies, destroys and checks drift of an
//! [`iac_core::Stack`] straight through the AWS SDKs, with no CloudFormation and no state file:
//! state is the `iac:*` tags on the resources themselves ([`state`]).
//!
//! The desired state of each resource is its CloudFormation rendering with every intrinsic
//! resolved against what exists ([`desired`]), so the SDK path and the template cannot
//! disagree. One module per AWS service ([`services`]) creates, updates, deletes and discovers
//! resources; [`engine`] walks the dependency graph in parallel. [`bake`] bakes the stack's AMIs
//! (builder instance, image, cleanup of older images).

pub mod bake;
pub mod clients;
pub mod desired;
pub mod engine;
pub mod error;
pub mod plan;
pub mod services;
pub mod state;

pub use clients::Clients;
pub use engine::{Engine, Options};
pub use error::AwsError;
pub use plan::{Action, Change, Plan};

use iac_core::model::Stack;

/// Checks that every resource of `stack` can be handled by the SDK engine.
pub fn check_supported(stack: &Stack) -> Result<(), AwsError> {
    for entry in stack.resources() {
        if services::service_of(&entry.resource).is_none() {
            return Err(AwsError::Unsupported {
                stack: stack.name().to_owned(),
                id: entry.id.to_string(),
                kind: entry.resource.kind_name(),
            });
        }
    }
    Ok(())
}
