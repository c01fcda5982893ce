//! A Fargate service (`aws_ecs_service`), behind a target group or not.

use hcl::Expression;
use iac_core::model::{EcsService, ResourceEntry};

use crate::error::RenderError;
use crate::terraform::{Args, TfContext, ToTerraform};

use super::network_configuration;

impl ToTerraform for EcsService {
    fn arguments(&self, cx: &mut TfContext<'_>, entry: &ResourceEntry) -> Result<Args, RenderError> {
        let mut a = Args::default();
        a.set_opt("name", cx.name(entry).map(Expression::from))
            .set("cluster", cx.expr(&self.cluster, "cluster")?)
            .set("task_definition", cx.expr(&self.task_definition, "task_definition")?)
            .set("desired_count", self.desired_count)
            .set("launch_type", "FARGATE")
            .set("platform_version", "LATEST")
            .set("scheduling_strategy", "REPLICA")
            .nested("network_configuration", network_configuration(cx, &self.network, "network_configuration")?);
        if let Some(lb) = &self.load_balancer {
            let mut l = Args::default();
            l.set("target_group_arn", cx.expr(&lb.target_group_arn, "load_balancer.target_group_arn")?)
                .set("container_name", lb.container_name.as_str())
                .set("container_port", lb.container_port);
            a.nested("load_balancer", l)
                .set("health_check_grace_period_seconds", self.health_check_grace_period_seconds);
        }
        let mut breaker = Args::default();
        breaker.set("enable", self.circuit_breaker_rollback).set("rollback", self.circuit_breaker_rollback);
        a.set("deployment_minimum_healthy_percent", self.minimum_healthy_percent)
            .set("deployment_maximum_percent", self.maximum_percent)
            .nested("deployment_circuit_breaker", breaker)
            .set("propagate_tags", "SERVICE")
            .set("enable_ecs_managed_tags", true)
            .set_opt("tags", cx.tags(entry));
        Ok(a)
    }
}
