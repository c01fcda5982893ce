//! Auto Scaling: groups and target tracking scaling policies.
//!
//! One file per kind: its desired properties, its [`Adapter`](crate::adapter::Adapter) and its
//! calls; this file holds what they share and discovery.
//!
//! - `AWS::AutoScaling::AutoScalingGroup`: created with its launch template, subnets
//!   (`VPCZoneIdentifier`, comma-joined for the API), target groups, health check and tags (with
//!   `PropagateAtLaunch` as the template says; `iac:hash` is not propagated), then
//!   `MetricsCollection` is switched on. Create and update wait until the group has its desired
//!   number of instances `InService`. Sizes, launch template (and version), subnets, health check,
//!   target groups and metrics change in place. Delete uses `ForceDelete` and waits until the
//!   group is gone. `Ref` is the group name.
//! - `AWS::AutoScaling::ScalingPolicy` (`PutScalingPolicy`, target tracking or simple): `Ref` is
//!   the policy ARN. A policy takes no tags, so it gets a deterministic name,
//!   `<stack>-<env>-<LogicalId>` (fitted to 255 characters), and discovery lists the policies
//!   of this stack's groups (`DescribePolicies`): a name that matches a scaling policy of the
//!   stack is that entry; any other name with this stack's prefix and a logical id after it is a
//!   policy that left the stack (so plan deletes it). Policies have no `iac:hash`: plan compares
//!   the properties read back.
//!
//! - `AWS::AutoScaling::ScheduledAction` (`PutScheduledUpdateGroupAction`): like a policy, it
//!   takes no tags, so it is put under `<stack>-<env>-<LogicalId>` and discovery lists the
//!   scheduled actions of this stack's groups (`DescribeScheduledActions`), by that name. It has
//!   no `iac:hash`: plan compares the properties read back (a size the stack does not set reads
//!   back as `null`). `Ref` is the action's name. On moto the action is stored and never runs,
//!   and its cron expression is not checked (validation checks it).
//!
//! Groups are discovered with `DescribeAutoScalingGroups` filtered on the `tag:iac:stack` and
//! `tag:iac:env` tags. A group made by a blue/green rollout ([`crate::rollout`]) has a suffixed
//! name and carries the stack's name in `iac:name`; plan compares that one, so a finished rollout
//! plans no change.

use std::collections::HashMap;
use std::future::Future;
use std::time::Duration;

use aws_sdk_autoscaling::types::{
    AutoScalingGroup as AwsGroup, Filter, LaunchTemplateSpecification, LifecycleState, MetricType,
    PredefinedMetricSpecification, ScalingPolicy as AwsPolicy, Tag, TargetTrackingConfiguration,
};
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use iac_core::LogicalId;
use iac_core::model::{AutoScalingGroup, ResourceEntry, ScalingPolicy};
use iac_core::value::Value;
use serde::Deserialize;
use serde_json::{Map, Value as Json, json};

use super::{Ctx, absent, tag_pairs};
use crate::adapter::{Adapter, Desired, SdkKind, de};
use crate::error::AwsError;
use crate::state::{Observed, TAG_ENV, TAG_HASH, TAG_NAME, TAG_STACK, Tags};

pub mod group;
pub mod policy;
pub mod scheduled_action;

use self::group::{is_deleting, observe_group};
use self::policy::{describe_policies, observe_policy, policy_entries};

/// Finds this stack's groups by their tags and the policies of those groups by name.
pub async fn discover(ctx: &Ctx<'_>) -> Result<Vec<Observed>, AwsError> {
    let mut groups = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let req = ctx
            .clients
            .autoscaling
            .describe_auto_scaling_groups()
            .filters(Filter::builder().name(format!("tag:{TAG_STACK}")).values(ctx.stack.name()).build())
            .filters(Filter::builder().name(format!("tag:{TAG_ENV}")).values(ctx.stack.env()).build())
            .set_next_token(token.clone());
        let page = ctx.retry("-", "autoscaling:DescribeAutoScalingGroups", &[], || req.clone().send()).await?;
        for g in page.auto_scaling_groups() {
            if is_deleting(g) {
                continue;
            }
            if let Some((id, hash)) = ctx.ours(&tag_pairs(g.tags())) {
                let mut o = observe_group(id, g);
                o.hash = hash;
                groups.push(o);
            }
        }
        token = page.next_token().filter(|t| !t.is_empty()).map(str::to_owned);
        if token.is_none() {
            break;
        }
    }
    let mut policies = Vec::new();
    let wanted = policy_entries(ctx, &groups);
    let prefix = format!("{}-{}-", ctx.stack.name(), ctx.stack.env());
    for g in &groups {
        for p in describe_policies(ctx, g.id.as_str(), &g.physical_id, None).await? {
            let name = p.policy_name().unwrap_or_default();
            let id = match wanted.get(name) {
                Some((id, group)) if group.as_ref().is_none_or(|want| *want == g.physical_id) => Some(id.clone()),
                Some(_) => None,
                // A policy that left the stack: its name still says which one it was.
                None => name
                    .strip_prefix(&prefix)
                    .and_then(|rest| LogicalId::new(rest).ok())
                    .filter(|id| ctx.stack.resource(id).is_none() && policy_name(ctx, id) == name),
            };
            if let Some(id) = id {
                policies.push(observe_policy(id, &p));
            }
        }
    }
    let actions = scheduled_action::discover_actions(ctx, &groups).await?;
    groups.extend(policies);
    groups.extend(actions);
    Ok(groups)
}

/// The deterministic name of the scaling policy `id` (policies cannot be tagged).
pub fn policy_name(ctx: &Ctx<'_>, id: &LogicalId) -> String {
    iac_core::naming::fit(&format!("{}-{}-{}", ctx.stack.name(), ctx.stack.env(), id), 255)
}

// ---------------------------------------------------------------------------------------------
// Errors and retries

/// Auto Scaling reports most problems as `ValidationError`; these messages mean "not there yet"
/// (a launch template, target group or instance profile made moments ago).
fn not_visible_yet(code: &str, message: &str) -> bool {
    const HINTS: [&str; 6] = [
        "does not exist",
        "not found",
        "Invalid IAM Instance Profile",
        "Target Groups may not be valid",
        "launch template",
        "instance profile",
    ];
    match code {
        "ValidationError" => HINTS.iter().any(|h| message.contains(h)),
        "InvalidLaunchTemplateName.NotFoundException" | "InvalidLaunchTemplateId.NotFound" | "TargetGroupNotFound" => {
            true
        }
        other => busy(other, message),
    }
}

/// A scaling activity or another update is under way.
fn busy(code: &str, _message: &str) -> bool {
    matches!(code, "ScalingActivityInProgress" | "ResourceInUse" | "ResourceContention")
}

/// `Ok(None)` when the group or policy does not exist.
fn ignore_not_found<T, E: ProvideErrorMetadata, R>(
    result: Result<T, SdkError<E, R>>,
) -> Result<Option<T>, SdkError<E, R>> {
    absent(result, |s| {
        s.code() == Some("ValidationError")
            && s.message().is_some_and(|m| m.contains("not found") || m.contains("does not exist"))
    })
}

/// Like [`Ctx::retry`], for errors recognised by code *and message* (`transient`), on top of
/// throttling and transport errors. (Auto Scaling and ELB report most problems as
/// `ValidationError`, where only the message tells "not visible yet" from a real mistake.)
pub(crate) async fn retry_if<T, E, R, F, Fut>(
    ctx: &Ctx<'_>,
    id: &str,
    action: &str,
    transient: fn(&str, &str) -> bool,
    mut call: F,
) -> Result<T, AwsError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, SdkError<E, R>>>,
    E: std::error::Error + ProvideErrorMetadata + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    const THROTTLING: [&str; 3] = ["Throttling", "ThrottlingException", "RequestLimitExceeded"];
    let mut attempt: u32 = 0;
    loop {
        match call().await {
            Ok(v) => return Ok(v),
            Err(err) => {
                attempt += 1;
                let retry = match &err {
                    SdkError::ServiceError(e) => {
                        let code = e.err().code().unwrap_or_default();
                        THROTTLING.contains(&code) || transient(code, e.err().message().unwrap_or_default())
                    }
                    SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) => true,
                    _ => false,
                };
                if !retry || attempt >= ctx.timing.attempts {
                    return Err(ctx.sdk_error(id, action, err));
                }
                tokio::time::sleep(backoff(ctx.timing.backoff, attempt)).await;
            }
        }
    }
}

/// `base * 2^(attempt-1)`, capped at 20 s, with jitter from the clock.
fn backoff(base: Duration, attempt: u32) -> Duration {
    let ceiling = base.saturating_mul(1 << attempt.min(10).saturating_sub(1)).min(Duration::from_secs(20));
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    ceiling.mul_f64(0.5 + f64::from(nanos % 500) / 1000.0)
}

#[cfg(test)]
mod tests {
    use super::policy::policy_arn_parts;
    use super::*;

    #[test]
    fn policy_arns_split_into_group_and_name() {
        let arn = "arn:aws:autoscaling:us-east-1:123456789012:scalingPolicy:c322761b-3172:autoScalingGroupName/web-asg:policyName/app-prod-Cpu";
        assert_eq!(policy_arn_parts(arn), Some(("web-asg".into(), "app-prod-Cpu".into())));
        assert_eq!(policy_arn_parts("not an arn"), None);
    }

    #[test]
    fn validation_errors_that_mean_not_yet_are_retried() {
        assert!(not_visible_yet("ValidationError", "Invalid IAM Instance Profile name"));
        assert!(not_visible_yet("ScalingActivityInProgress", ""));
        assert!(!not_visible_yet("ValidationError", "Max bound, 1, must be greater than or equal to min bound, 2"));
    }
}
