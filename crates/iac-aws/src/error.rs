//! The crate's one error type.

use thiserror::Error;

/// Everything the SDK engine can fail with. Every variant names the stack and, where there is
/// one, the resource, and says what to do.
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
    /// An AWS call failed; `message` carries the SDK's full context.
    #[error("stack `{stack}` resource `{id}`: {action} failed: {message}")]
    Sdk {
        /// The stack.
        stack: String,
        /// The resource (or `-` for discovery).
        id: String,
        /// What was being done, e.g. `ec2:CreateVpc`.
        action: String,
        /// `DisplayErrorContext` of the SDK error.
        message: String,
    },
    /// A value could not be resolved at apply time.
    #[error("stack `{stack}` resource `{id}` property `{property}`: {message}")]
    Resolve {
        /// The stack.
        stack: String,
        /// The resource.
        id: String,
        /// The property.
        property: String,
        /// What is missing and what to do.
        message: String,
    },
    /// A change would lose data and the user did not allow it.
    #[error(
        "stack `{stack}`: refusing to {action} {}: they hold data. Re-run with --allow-data-loss to {action} them \
         (a final snapshot is taken first)",
        ids.join(", ")
    )]
    DataLoss {
        /// The stack.
        stack: String,
        /// `replace` or `delete`.
        action: &'static str,
        /// The resources.
        ids: Vec<String>,
    },
    /// A resource did not become ready in time.
    #[error(
        "stack `{stack}` resource `{id}`: not {state} after {seconds} s; check it in the console and re-run (apply resumes)"
    )]
    Timeout {
        /// The stack.
        stack: String,
        /// The resource.
        id: String,
        /// The state waited for.
        state: String,
        /// How long.
        seconds: u64,
    },
    /// The stack is not valid.
    #[error(transparent)]
    Core(#[from] iac_core::CoreError),
    /// Rendering the desired state failed.
    #[error(transparent)]
    Render(#[from] iac_render::RenderError),
    /// The engine stopped on purpose (test fault hook).
    #[error("stopped by the fault hook after {0} resources")]
    FaultInjected(usize),
}
