//! A Fargate service (`AWS::ECS::Service`), behind a target group or not.

use super::awsvpc;
use iac_core::model::{EcsService, ResourceEntry};
use serde_json::{Value as Json, json};

use crate::cloudformation::{CfnContext, ToCloudFormation};
use crate::error::RenderError;

impl ToCloudFormation for EcsService {
    fn properties(&self, cx: &mut CfnContext<'_>, entry: &ResourceEntry) -> Result<Json, RenderError> {
        let prop = "Service";
        let mut p = json!({
            "ServiceName": cx.name(entry),
            "Cluster": cx.value(&self.cluster, prop)?,
            "TaskDefinition": cx.value(&self.task_definition, prop)?,
            "DesiredCount": self.desired_count,
            "LaunchType": "FARGATE",
            "PlatformVersion": "LATEST",
            "SchedulingStrategy": "REPLICA",
            "NetworkConfiguration": awsvpc(cx, &self.network, prop)?,
            "DeploymentConfiguration": {
                "MinimumHealthyPercent": self.minimum_healthy_percent,
                "MaximumPercent": self.maximum_percent,
                "DeploymentCircuitBreaker": { "Enable": self.circuit_breaker_rollback, "Rollback": self.circuit_breaker_rollback },
            },
            "PropagateTags": "SERVICE",
            "EnableECSManagedTags": true,
        });
        if let Some(lb) = &self.load_balancer {
            p["LoadBalancers"] = json!([{
                "TargetGroupArn": cx.value(&lb.target_group_arn, prop)?,
                "ContainerName": lb.container_name,
                "ContainerPort": lb.container_port,
            }]);
            p["HealthCheckGracePeriodSeconds"] = json!(self.health_check_grace_period_seconds);
        }
        Ok(p)
    }
}
