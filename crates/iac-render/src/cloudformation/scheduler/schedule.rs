//! An `EventBridge` Scheduler schedule (`AWS::Scheduler::Schedule`): run a task or call an API.

use crate::cloudformation::ecs::awsvpc;
use iac_core::model::{ResourceEntry, Schedule, ScheduleTarget};
use serde_json::{Value as Json, json};

use crate::cloudformation::{CfnContext, ToCloudFormation};
use crate::error::RenderError;

impl ToCloudFormation for Schedule {
    fn properties(&self, cx: &mut CfnContext<'_>, entry: &ResourceEntry) -> Result<Json, RenderError> {
        let prop = "Target";
        let retry = json!({
            "MaximumRetryAttempts": iac_core::model::SCHEDULE_RETRIES,
            "MaximumEventAgeInSeconds": iac_core::model::SCHEDULE_MAX_EVENT_AGE_SECONDS,
        });
        let target = match &self.target {
            ScheduleTarget::RunTask(t) => json!({
                "Arn": cx.value(&t.cluster_arn, prop)?,
                "RoleArn": cx.value(&self.role_arn, prop)?,
                "Input": t.input(),
                "EcsParameters": {
                    "TaskDefinitionArn": cx.value(&t.task_definition_arn, prop)?,
                    "LaunchType": "FARGATE",
                    "PlatformVersion": "LATEST",
                    "TaskCount": 1,
                    "NetworkConfiguration": awsvpc(cx, &t.network, prop)?,
                },
                "RetryPolicy": retry,
            }),
            ScheduleTarget::Call { target_arn, input } => json!({
                "Arn": cx.value(target_arn, prop)?,
                "RoleArn": cx.value(&self.role_arn, prop)?,
                "Input": cx.value(input, prop)?,
                "RetryPolicy": retry,
            }),
        };
        Ok(json!({
            "Name": cx.name(entry),
            "Description": self.description,
            "ScheduleExpression": self.expression,
            "ScheduleExpressionTimezone": self.timezone,
            "FlexibleTimeWindow": { "Mode": "OFF" },
            "State": if self.enabled { "ENABLED" } else { "DISABLED" },
            "Target": target,
        }))
    }
}
