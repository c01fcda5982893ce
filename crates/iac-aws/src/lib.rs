//! `iac-aws`: the SDK engine (plan, apply, destroy, drift, AMI bake, blue/green rollout).
//!
//! This crate is the only one in the workspace that will do I/O: it will depend on tokio and
//! the `aws-sdk-*` crates, with one module per AWS service matching on
//! [`iac_core::model::Resource`]. It is a skeleton until the SDK engine issue lands; today it
//! only states which resource kinds the engine will refuse (the raw escape hatch), so that the
//! rule is fixed and tested now.

use iac_core::model::{Resource, Stack};
use thiserror::Error;

/// Errors of the SDK engine.
#[derive(Debug, Error)]
pub enum AwsError {
    /// A resource the SDK engine cannot manage.
    #[error(
        "stack `{stack}` resource `{id}`: a {kind} cannot be deployed through the SDK engine; \
         render the stack to CloudFormation or Terraform, or model the resource as a typed kind"
    )]
    Unsupported {
        /// The stack.
        stack: String,
        /// The resource.
        id: String,
        /// Its kind.
        kind: &'static str,
    },
}

/// Checks that every resource of `stack` can be handled by the SDK engine.
pub fn check_supported(stack: &Stack) -> Result<(), AwsError> {
    for entry in stack.resources() {
        if let Resource::RawResource(_) = entry.resource {
            return Err(AwsError::Unsupported {
                stack: stack.name().to_owned(),
                id: entry.id.to_string(),
                kind: entry.resource.kind_name(),
            });
        }
    }
    Ok(())
}
