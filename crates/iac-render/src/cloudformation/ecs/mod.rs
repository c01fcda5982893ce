//! ECS kinds (`AWS::ECS::*`): clusters, task definitions and services.
//!
//! Shared here: a task's network configuration, which a scheduled task ([`super::scheduler`])
//! takes too.

use iac_core::model::TaskNetwork;
use serde_json::{Value as Json, json};

use crate::cloudformation::CfnContext;
use crate::error::RenderError;

mod ecs_cluster;
mod ecs_service;
mod task_definition;

/// The `awsvpc` network configuration of a service or a scheduled task.
pub(super) fn awsvpc(cx: &CfnContext<'_>, n: &TaskNetwork, property: &str) -> Result<Json, RenderError> {
    Ok(json!({
        "AwsvpcConfiguration": {
            "Subnets": cx.list(&n.subnet_ids, property)?,
            "SecurityGroups": cx.list(&n.security_group_ids, property)?,
            "AssignPublicIp": if n.assign_public_ip { "ENABLED" } else { "DISABLED" },
        },
    }))
}
