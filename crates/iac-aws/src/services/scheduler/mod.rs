//! `EventBridge` Scheduler: `AWS::Scheduler::Schedule`.
//!
//! One file per kind (its desired properties, its [`Adapter`](crate::adapter::Adapter) and its
//! calls); this file holds discovery.
//!
//! Schedules take no tags, so the engine's state lives in two places the API keeps:
//!
//! - the **name**, the stack's physical name of the schedule (`<stack>-<env>-<id>` in kebab case
//!   unless the stack names it), in the default schedule group, which the template uses too;
//! - the **description**: the stack's description followed by a marker
//!   `[iac:stack=<stack> iac:env=<env> iac:id=<LogicalId> iac:hash=<hash>]`. The marker is
//!   stripped when the description is read back, so `Description` compares with the template's;
//!   the whole description may be at most 512 characters, marker included (an error says so).
//!
//! Discovery lists the schedules of the default group (`ListSchedules`) and reads
//! (`GetSchedule`) those whose name is one of the stack's schedules or starts with the stack's
//! `<stack>-<env>-` prefix; a schedule is this stack's when its marker names this stack and
//! environment (so a schedule of the same name made by hand is never taken over, and one that
//! left the stack is found by its marker and deleted).
//!
//! Both target kinds the stacks use are handled: an ECS `RunTask` (`EcsParameters` with the
//! task definition, Fargate, the `awsvpc` network) with the container overrides as `Input`, and
//! a universal target (`arn:aws:scheduler:::aws-sdk:<service>:<action>`) with its JSON `Input`.
//! Create passes a client token derived from the stack, environment, logical id and desired
//! hash; `UpdateSchedule` replaces the whole schedule in place. `Ref` is the name, `Arn` the ARN.
//! On moto the schedules are stored and read back, and never fire.

pub mod schedule;

use super::Ctx;
use crate::error::AwsError;
use crate::state::Observed;

/// Every schedule that belongs to this stack and environment (by its description's marker).
pub async fn discover(ctx: &Ctx<'_>) -> Result<Vec<Observed>, AwsError> {
    schedule::discover_schedules(ctx).await
}
