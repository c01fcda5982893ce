//! An `EventBridge` Scheduler schedule (`aws_scheduler_schedule`): run a task or call an API.

use hcl::Expression;
use iac_core::model::{ResourceEntry, RunTask, Schedule, ScheduleTarget};

use crate::error::RenderError;
use crate::terraform::ecs::network_configuration;
use crate::terraform::{Args, TfContext, ToTerraform};

impl ToTerraform for Schedule {
    fn arguments(&self, cx: &mut TfContext<'_>, entry: &ResourceEntry) -> Result<Args, RenderError> {
        let mut window = Args::default();
        window.set("mode", "OFF");
        let mut retry = Args::default();
        retry
            .set("maximum_retry_attempts", iac_core::model::SCHEDULE_RETRIES)
            .set("maximum_event_age_in_seconds", iac_core::model::SCHEDULE_MAX_EVENT_AGE_SECONDS);
        let mut target = Args::default();
        match &self.target {
            ScheduleTarget::RunTask(t) => {
                target
                    .set("arn", cx.expr(&t.cluster_arn, "target.arn")?)
                    .set("role_arn", cx.expr(&self.role_arn, "target.role_arn")?)
                    .set("input", t.input())
                    .nested("ecs_parameters", ecs_parameters(cx, t)?);
            }
            ScheduleTarget::Call { target_arn, input } => {
                target
                    .set("arn", cx.expr(target_arn, "target.arn")?)
                    .set("role_arn", cx.expr(&self.role_arn, "target.role_arn")?)
                    .set("input", cx.expr(input, "target.input")?);
            }
        }
        target.nested("retry_policy", retry);
        let mut a = Args::default();
        a.set_opt("name", cx.name(entry).map(Expression::from))
            .set("description", self.description.as_str())
            .set("schedule_expression", self.expression.as_str())
            .set("schedule_expression_timezone", self.timezone.as_str())
            .set("state", if self.enabled { "ENABLED" } else { "DISABLED" })
            .nested("flexible_time_window", window)
            .nested("target", target);
        Ok(a)
    }
}

fn ecs_parameters(cx: &mut TfContext<'_>, t: &RunTask) -> Result<Args, RenderError> {
    let mut ecs = Args::default();
    ecs.set("task_definition_arn", cx.expr(&t.task_definition_arn, "target.ecs_parameters.task_definition_arn")?)
        .set("launch_type", "FARGATE")
        .set("platform_version", "LATEST")
        .set("task_count", 1)
        .nested("network_configuration", network_configuration(cx, &t.network, "target.ecs_parameters")?);
    Ok(ecs)
}
