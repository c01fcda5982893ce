//! `EventBridge` Scheduler schedules: an ECS task run on a schedule (the scheduled commands of a
//! container service, in place of cron on a host), or any AWS API call through the scheduler's
//! universal target (e.g. starting and stopping an instance every day).

use serde::Serialize;

use crate::model::TaskNetwork;
use crate::model::spec::prelude::*;
use crate::value::{Refs, Value};

/// Attempts after a failed start of a scheduled task.
pub const SCHEDULE_RETRIES: u32 = 2;
/// Seconds after which a start that keeps failing is dropped (the next run comes anyway).
pub const SCHEDULE_MAX_EVENT_AGE_SECONDS: u32 = 300;

/// `AWS::Scheduler::Schedule` / `aws_scheduler_schedule`; a failed start is retried
/// [`SCHEDULE_RETRIES`] times within [`SCHEDULE_MAX_EVENT_AGE_SECONDS`].
#[derive(Debug, Clone, Serialize, Refs)]
pub struct Schedule {
    /// The schedule's name; derived when absent.
    pub name: Option<String>,
    /// What it does.
    pub description: String,
    /// `rate(1 minute)`, `cron(0 3 * * ? *)` or `at(...)`.
    pub expression: String,
    /// Time zone of a `cron` expression, e.g. `Europe/London`.
    pub timezone: String,
    /// The role the scheduler assumes (allowed what the target does, e.g. `ecs:RunTask` and to
    /// pass the task's roles).
    pub role_arn: Value<String>,
    /// What it does.
    pub target: ScheduleTarget,
    /// Enabled (a disabled schedule is kept but does nothing).
    pub enabled: bool,
}

/// What a schedule does when it fires.
#[derive(Debug, Clone, Serialize, Refs)]
pub enum ScheduleTarget {
    /// Start a Fargate task.
    RunTask(RunTask),
    /// Call an AWS API through a universal target ([`Schedule::universal_target`]) or another
    /// target ARN, with a JSON input.
    Call {
        /// E.g. `arn:aws:scheduler:::aws-sdk:ec2:startInstances`.
        target_arn: Value<String>,
        /// The call's JSON input, e.g. `{"InstanceIds":["i-..."]}`.
        input: Value<String>,
    },
}

impl Schedule {
    /// The universal target that calls `service:action` of the AWS SDK, e.g.
    /// `universal_target("ec2", "startInstances")`.
    pub fn universal_target(service: &str, action: &str) -> String {
        format!("arn:aws:scheduler:::aws-sdk:{service}:{action}")
    }
}

/// A Fargate task started by a schedule, with its container's command replaced.
#[derive(Debug, Clone, Serialize, Refs)]
pub struct RunTask {
    /// The cluster's ARN.
    pub cluster_arn: Value<String>,
    /// The task definition's ARN.
    pub task_definition_arn: Value<String>,
    /// Where the task runs.
    pub network: TaskNetwork,
    /// The container whose command is replaced.
    pub container_name: String,
    /// The command it runs instead of its own.
    pub command: Vec<String>,
}

impl RunTask {
    /// The `RunTask` overrides as the JSON text both backends pass as the target's input.
    pub fn input(&self) -> String {
        serde_json::json!({
            "containerOverrides": [{ "name": self.container_name, "command": self.command }],
        })
        .to_string()
    }
}

impl ResourceKind for Schedule {
    const SPEC: &'static KindSpec = &KindSpec {
        kind: "Schedule",
        label: "schedule",
        provider: Provider::Aws,
        cloudformation: Some("AWS::Scheduler::Schedule"),
        terraform: Some("aws_scheduler_schedule"),
        attrs: &[get_att(Attr::Arn, "Arn", "arn")],
        naming: Naming::Explicit { max: 64 },
        tagging: Tagging::Untagged("EventBridge Scheduler schedules take no tags"),
        data: Data::None,
        replacement: crate::replace!["Name"],
        replacement_notes: &[],
        teardown: 1,
    };
    fn explicit_name(&self) -> Option<&str> {
        self.name.as_deref()
    }
    fn explicit_name_mut(&mut self) -> Option<&mut String> {
        self.name.as_mut()
    }
}
