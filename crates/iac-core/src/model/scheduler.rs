//! `EventBridge` Scheduler schedules: an AWS API call at set times, e.g. starting and stopping an
//! instance every day (`ec2:StartInstances` through the scheduler's universal target).

use serde::Serialize;

use crate::impl_refs;
use crate::value::Value;

/// `AWS::Scheduler::Schedule` / `aws_scheduler_schedule`.
#[derive(Debug, Clone, Serialize)]
pub struct Schedule {
    /// What it does.
    pub description: String,
    /// `cron(minutes hours day-of-month month day-of-week year)`, `rate(...)` or `at(...)`.
    pub expression: String,
    /// IANA time zone of the expression, e.g. `Europe/London`.
    pub timezone: String,
    /// The target: a universal target such as `arn:aws:scheduler:::aws-sdk:ec2:startInstances`,
    /// or a resource ARN.
    pub target_arn: Value<String>,
    /// The JSON input of the call, e.g. `{"InstanceIds":["i-..."]}`.
    pub input: Value<String>,
    /// The role the scheduler assumes to make the call.
    pub role_arn: Value<String>,
    /// Enabled (a disabled schedule is kept but does nothing).
    pub enabled: bool,
}
impl_refs!(Schedule { target_arn, input, role_arn });

impl Schedule {
    /// The universal target that calls `service:Action` of the AWS SDK, e.g.
    /// `universal_target("ec2", "startInstances")`.
    pub fn universal_target(service: &str, action: &str) -> String {
        format!("arn:aws:scheduler:::aws-sdk:{service}:{action}")
    }
}
