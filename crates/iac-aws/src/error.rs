//! The crate's one error type, and [`SdkFailure`]: an SDK call's error with the service's code.

use std::error::Error as StdError;
use std::fmt;

use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use thiserror::Error;

/// `resource <id>` after the stack, or nothing for `-` (discovery, not about one resource).
fn on(id: &str) -> String {
    if id == "-" { String::new() } else { format!(" resource `{id}`") }
}

/// What an SDK call failed with: the service's error code and message (or, when the call never
/// got an answer, what went wrong on the way), with the SDK's error kept whole.
#[derive(Debug)]
pub struct SdkFailure {
    code: Option<String>,
    message: String,
    error: Box<dyn StdError + Send + Sync>,
}

impl SdkFailure {
    /// Reads the code and message out of `err` and keeps it.
    pub fn new<E, R>(err: SdkError<E, R>) -> Self
    where
        E: StdError + ProvideErrorMetadata + Send + Sync + 'static,
        R: fmt::Debug + Send + Sync + 'static,
    {
        let (code, message) = match err.as_service_error() {
            Some(e) => (e.code().map(str::to_owned), e.message().map_or_else(|| chain(e), str::to_owned)),
            None => (None, chain(&err)),
        };
        Self { code, message, error: Box::new(err) }
    }

    /// The service's error code (`InvalidParameterValue`), when the service answered.
    pub fn code(&self) -> Option<&str> {
        self.code.as_deref()
    }

    /// The service's message, or what went wrong before there was an answer.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The SDK's error (`SdkError<OperationError, HttpResponse>`; downcast it to match on the
    /// operation's modelled errors).
    pub fn sdk_error(&self) -> &(dyn StdError + Send + Sync + 'static) {
        self.error.as_ref()
    }
}

/// `err: cause: cause`, each message once (what went wrong before the service answered, e.g.
/// `dispatch failure: io error: ... Connection refused`), with no debug dump.
fn chain(err: &(dyn StdError + 'static)) -> String {
    let mut out = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        let message = s.to_string();
        if !out.contains(&message) {
            out.push_str(": ");
            out.push_str(&message);
        }
        source = s.source();
    }
    out
}

impl fmt::Display for SdkFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.code {
            Some(code) => write!(f, "{code}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl StdError for SdkFailure {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        Some(self.error.as_ref())
    }
}

/// Everything the SDK engine can fail with. Every variant names the stack and, where there is
/// one, the resource, and says what to do.
#[derive(Debug, Error)]
pub enum AwsError {
    /// A resource the SDK engine cannot manage.
    #[error(
        "stack `{stack}` resource `{id}`: a {kind} cannot be deployed through the SDK engine ({reason}); \
         render the stack to CloudFormation or Terraform, or model the resource as a typed kind"
    )]
    Unsupported {
        /// The stack.
        stack: String,
        /// The resource.
        id: String,
        /// Its kind.
        kind: &'static str,
        /// Why.
        reason: &'static str,
    },
    /// Several resources the SDK engine cannot manage, every one listed.
    #[error(
        "stack `{stack}`: {} resources cannot be deployed through the SDK engine:\n{}\nrender the stack to \
         CloudFormation or Terraform, or model these resources as kinds the engine deploys (`deploy --help` lists them)",
        resources.len(),
        resources.iter().map(AwsError::unsupported_line).collect::<Vec<_>>().join("\n")
    )]
    UnsupportedMany {
        /// The stack.
        stack: String,
        /// One [`AwsError::Unsupported`] per resource.
        resources: Vec<AwsError>,
    },
    /// An AWS call failed. The message shows the service's error code and message; the SDK's
    /// own error is kept whole as the source ([`SdkFailure::sdk_error`]).
    #[error("stack `{stack}`{}: {service} {operation}: {source}", on(id))]
    Sdk {
        /// The stack.
        stack: String,
        /// The resource (or `-` for discovery).
        id: String,
        /// The service, e.g. `ec2`.
        service: String,
        /// The operation, e.g. `CreateVpc`.
        operation: String,
        /// What the service answered.
        #[source]
        source: SdkFailure,
    },
    /// An AWS call succeeded with an answer that makes no sense (a resource missing right after
    /// it was made), or a request could not be built.
    #[error("stack `{stack}`{}: {action}: {message}", on(id))]
    Unexpected {
        /// The stack.
        stack: String,
        /// The resource (or `-`).
        id: String,
        /// What was being done, e.g. `ec2:DescribeVpcs`.
        action: String,
        /// What went wrong and what to do.
        message: String,
    },
    /// A desired property the SDK path cannot take: unknown to the kind's adapter (an override,
    /// or a renderer change the adapter does not handle yet), or of the wrong shape.
    #[error("stack `{stack}` resource `{id}` property `{property}`: {message}")]
    Property {
        /// The stack.
        stack: String,
        /// The resource.
        id: String,
        /// The property, dotted (`LaunchTemplateData.ImageId`).
        property: String,
        /// What is wrong and what to do.
        message: String,
    },
    /// The account id (`AWS::AccountId`) could not be looked up.
    #[error(
        "stack `{stack}`: `AWS::AccountId` is used, and the account could not be looked up through STS \
         GetCallerIdentity: {source}; check the credentials (AWS_PROFILE, AWS_ACCESS_KEY_ID) and the STS endpoint"
    )]
    Account {
        /// The stack.
        stack: String,
        /// What STS answered.
        #[source]
        source: SdkFailure,
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
    /// A CloudFormation operation on the stack ended in failure (a change set that could not be
    /// made, an apply or destroy that failed or rolled back). Names the first failing resource
    /// when CloudFormation's events name one, and says what to do.
    #[error("stack `{stack}`: {operation} ended {status}: {failure}. {todo}")]
    CfnFailed {
        /// The CloudFormation stack (`<stack>-<env>`).
        stack: String,
        /// `apply`, `destroy`, `plan (change set <name>)`...
        operation: String,
        /// The stack's (or change set's) final status.
        status: String,
        /// The first failure: `resource `Id` (Type): reason`, or the call's error.
        failure: String,
        /// What to do next.
        todo: String,
        /// The SDK's error when the failure was the answer to a call.
        #[source]
        source: Option<SdkFailure>,
    },
    /// The CloudFormation engine refuses an operation (termination protection, data that no
    /// `DeletionPolicy` keeps, a stack in a state it cannot change from).
    #[error("stack `{stack}`: {message}")]
    CfnRefused {
        /// The CloudFormation stack.
        stack: String,
        /// Why, and what to do.
        message: String,
    },
    /// The stack is not valid.
    #[error(transparent)]
    Core(#[from] iac_core::CoreError),
    /// Rendering the desired state failed.
    #[error(transparent)]
    Render(#[from] iac_render::RenderError),
    /// The engine stopped on purpose (test fault hook).
    #[cfg(feature = "testing")]
    #[error("stopped by the fault hook after {0} resources")]
    FaultInjected(usize),

    // rollout
    /// The stack declares no release order.
    #[error("stack `{stack}` declares no rollout plan; add one with `StackBuilder::rollout` (roles and steps)")]
    NoRolloutPlan {
        /// The stack.
        stack: String,
    },
    /// What exists does not allow the rollout asked for (one in flight, nothing to resume, no
    /// live group, two live groups, options that disagree with the recorded ones).
    #[error("stack `{stack}` role `{role}`: {message}")]
    RolloutState {
        /// The stack.
        stack: String,
        /// The role (or `-`).
        role: String,
        /// What is wrong and what to do.
        message: String,
    },
    /// The green group did not become healthy: it was deleted and the blue one serves as before.
    #[error(
        "stack `{stack}` role `{role}`: rolled back to `{blue}`: {reason}. The green group was deleted; `{blue}` \
         was left as it was and serves. Fix the image and roll out again"
    )]
    RolledBack {
        /// The stack.
        stack: String,
        /// The role.
        role: String,
        /// The blue group, still serving.
        blue: String,
        /// Why.
        reason: String,
    },
    /// An ECS service's deployment did not become steady and healthy: the service was moved
    /// back to its previous task definition revision, and the new revision deregistered.
    #[error(
        "stack `{stack}` role `{role}`: rolled back service `{service}` to `{previous}`: {reason}. The new revision \
         was deregistered; see the service's events and the stopped tasks' reasons, fix the image and roll out again"
    )]
    ServiceRolledBack {
        /// The stack.
        stack: String,
        /// The role.
        role: String,
        /// The service.
        service: String,
        /// The task definition revision it runs again.
        previous: String,
        /// Why.
        reason: String,
    },
    /// A one-off command or host update failed; the rollout stopped there.
    #[error(
        "stack `{stack}` role `{role}`: `{command}` on {instance} ended {status} (exit code {exit_code}){output}. \
         The rollout stopped at step {step}; {serving}. Fix the cause and run `rollout --resume` to run it again \
         and go on"
    )]
    HookFailed {
        /// The stack.
        stack: String,
        /// The role.
        role: String,
        /// The step's number (1-based) and text.
        step: String,
        /// The command (or `update of the containers`).
        command: String,
        /// Where it ran.
        instance: String,
        /// SSM's status (`Failed`, `TimedOut`, ...).
        status: String,
        /// The command's exit code (-1 when there is none).
        exit_code: i32,
        /// `: <the end of stderr/stdout>`, or empty.
        output: String,
        /// What serves now.
        serving: String,
    },
    /// The rollout stopped on purpose (test fault hook), as if killed at a phase boundary.
    #[cfg(feature = "testing")]
    #[error("rollout stopped by the fault hook at boundary {boundary} ({at}); run `rollout --resume`")]
    RolloutKilled {
        /// The boundary's number, from 1.
        boundary: usize,
        /// Where: the phase and whether its tag or its action was the last thing done.
        at: String,
    },
    // bake
    /// The stack declares no bake of that name.
    #[error("stack `{stack}` has no bake `{bake}`; its bakes: {}", if known.is_empty() { "none".to_owned() } else { known.join(", ") })]
    BakeNotFound {
        /// The stack.
        stack: String,
        /// The bake asked for.
        bake: String,
        /// The bakes the stack has.
        known: Vec<String>,
    },
    /// A bake request or the bake's definition cannot work (a version that cannot be part of
    /// an image name, a root device the base image does not have, user data too large...).
    #[error("stack `{stack}` bake `{bake}` {property}: {message}")]
    BakeConfig {
        /// The stack.
        stack: String,
        /// The bake.
        bake: String,
        /// The property or request field at fault.
        property: String,
        /// What is wrong and what to do.
        message: String,
    },
    /// No image matches the bake's base image.
    #[error(
        "stack `{stack}` bake `{bake}` base image: no available image {filter}; check the owner account and \
         the name pattern (aws ec2 describe-images shows what exists in this region), or give an image id"
    )]
    BaseImageNotFound {
        /// The stack.
        stack: String,
        /// The bake.
        bake: String,
        /// What was looked for, e.g. `of owners [099720109477] named like ubuntu/...`.
        filter: String,
    },
    /// The builder signalled a failure, or stopped before it signalled.
    #[error(
        "stack `{stack}` bake `{bake}`: builder {instance} {reason}; the engine terminates it. Fix the step that failed \
         and bake again. Console output (last lines):\n{console}"
    )]
    BakeFailed {
        /// The stack.
        stack: String,
        /// The bake.
        bake: String,
        /// The builder instance.
        instance: String,
        /// What happened.
        reason: String,
        /// The end of the builder's console output.
        console: String,
    },
    /// The builder did not signal in time.
    #[error(
        "stack `{stack}` bake `{bake}`: builder {instance} did not signal done within {seconds} s; the engine \
         terminates it. Raise the timeout if the setup is slow, check that the instance role may tag the \
         instance and that the subnet reaches the internet. Console output (last lines):\n{console}"
    )]
    BakeTimeout {
        /// The stack.
        stack: String,
        /// The bake.
        bake: String,
        /// The builder instance.
        instance: String,
        /// How long the engine waited.
        seconds: u64,
        /// The end of the builder's console output.
        console: String,
    },
    /// The image could not be made (or an earlier image of that name and build is broken).
    #[error("stack `{stack}` bake `{bake}`: image {image} ({name}) is {state}: {reason}")]
    BakeImage {
        /// The stack.
        stack: String,
        /// The bake.
        bake: String,
        /// `ami-...`.
        image: String,
        /// Its name.
        name: String,
        /// Its state.
        state: String,
        /// Why, and what to do.
        reason: String,
    },
    /// Something the bake created for itself (the builder, its temporary role) could not be
    /// removed.
    #[error("stack `{stack}` bake `{bake}`: {what} could not be removed: {message}; {todo}")]
    BakeLeftBehind {
        /// The stack.
        stack: String,
        /// The bake.
        bake: String,
        /// `builder instance i-...` or `temporary role ...`.
        what: String,
        /// Why.
        message: String,
        /// The command that removes it by hand.
        todo: String,
    },
}

impl AwsError {
    /// One line of [`AwsError::UnsupportedMany`]: `  - Id: a kind (reason)`.
    fn unsupported_line(&self) -> String {
        match self {
            AwsError::Unsupported { id, kind, reason, .. } => format!("  - `{id}`: a {kind} ({reason})"),
            other => format!("  - {other}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_ec2::operation::create_vpc::CreateVpcError;
    use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
    use aws_smithy_runtime_api::http::StatusCode;
    use aws_smithy_types::body::SdkBody;
    use aws_smithy_types::error::ErrorMetadata;

    use super::*;

    fn failed_create_vpc() -> AwsError {
        let meta = ErrorMetadata::builder()
            .code("InvalidParameterValue")
            .message("Value (10.0.0.0/33) for parameter cidrBlock is invalid")
            .build();
        let response = HttpResponse::new(StatusCode::try_from(400).expect("a status"), SdkBody::from("<raw body>"));
        let err: SdkError<CreateVpcError, HttpResponse> =
            SdkError::service_error(CreateVpcError::generic(meta), response);
        AwsError::Sdk {
            stack: "demo".into(),
            id: "Vpc".into(),
            service: "ec2".into(),
            operation: "CreateVpc".into(),
            source: SdkFailure::new(err),
        }
    }

    #[test]
    fn an_sdk_error_shows_the_service_code_and_keeps_the_sdk_error() {
        let err = failed_create_vpc();
        let text = err.to_string();
        assert_eq!(
            text,
            "stack `demo` resource `Vpc`: ec2 CreateVpc: InvalidParameterValue: Value (10.0.0.0/33) for parameter \
             cidrBlock is invalid"
        );
        assert!(!text.contains("ServiceError") && !text.contains("raw"), "{text}");
        let AwsError::Sdk { source, .. } = &err else { unreachable!() };
        assert_eq!(source.code(), Some("InvalidParameterValue"));
        // The SDK's own error is the source, typed: a caller can match on the operation's errors.
        let sdk = StdError::source(&err).and_then(StdError::source).expect("the SDK error");
        let typed = sdk.downcast_ref::<SdkError<CreateVpcError, HttpResponse>>().expect("the operation's SdkError");
        assert_eq!(typed.as_service_error().and_then(ProvideErrorMetadata::code), Some("InvalidParameterValue"));
        assert!(source.sdk_error().is::<SdkError<CreateVpcError, HttpResponse>>());
    }

    #[test]
    fn discovery_errors_name_no_resource() {
        let AwsError::Sdk { source, .. } = failed_create_vpc() else { unreachable!() };
        let err = AwsError::Sdk {
            stack: "demo".into(),
            id: "-".into(),
            service: "ec2".into(),
            operation: "DescribeVpcs".into(),
            source,
        };
        assert!(err.to_string().starts_with("stack `demo`: ec2 DescribeVpcs: InvalidParameterValue: "), "{err}");
    }
}
