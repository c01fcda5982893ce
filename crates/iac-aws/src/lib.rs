//! `iac-aws`: the SDK engine. Plans, applies, destroys and checks drift of an
//! [`iac_core::Stack`] straight through the AWS SDKs, with no CloudFormation and no state file:
//! state is the `iac:*` tags on the resources themselves ([`state`]).
//!
//! The desired state of each resource is its CloudFormation rendering with every intrinsic
//! resolved against what exists ([`desired`]), so the SDK path and the template cannot
//! disagree. One module per AWS service ([`services`]) creates, updates, deletes and discovers
//! resources; [`engine`] walks the dependency graph in parallel. [`bake`] bakes the stack's AMIs
//! (builder instance, image, cleanup of older images); [`rollout`] carries out a stack's release
//! order: blue/green switches, stops and starts, one-off commands through SSM.

pub mod adapter;
pub mod bake;
pub mod clients;
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

/// Checks that every resource of `stack` is of a kind the SDK engine deploys.
pub fn check_supported(stack: &Stack) -> Result<(), AwsError> {
    for entry in stack.resources() {
        services::kind_of(stack, entry)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use iac_core::model::RawResource;
    use iac_core::stack::StackBuilder;

    #[test]
    fn kinds_without_sdk_support_are_refused_by_name() {
        let mut s = StackBuilder::new("demo", "dev");
        s.add(
            "Topic",
            RawResource { cloudformation: Some(("AWS::SNS::Topic".into(), serde_json::json!({}))), terraform: None },
        );
        let err = super::check_supported(&s.build().unwrap()).unwrap_err().to_string();
        assert!(
            err.contains("`Topic`") && err.contains("a raw resource cannot be deployed through the SDK engine"),
            "{err}"
        );
    }
}
