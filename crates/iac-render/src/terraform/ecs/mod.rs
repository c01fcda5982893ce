//! ECS kinds (`aws_ecs_cluster`, `aws_ecs_task_definition`, `aws_ecs_service`): clusters, task
//! definitions and services.
//!
//! Shared here: a task's network configuration, which a scheduled task ([`super::scheduler`])
//! takes too.

use iac_core::model::TaskNetwork;

use crate::error::RenderError;
use crate::terraform::{Args, TfContext};

mod ecs_cluster;
mod ecs_service;
mod task_definition;

/// The `awsvpc` network configuration of a service or a scheduled task.
pub(super) fn network_configuration(cx: &mut TfContext<'_>, n: &TaskNetwork, prop: &str) -> Result<Args, RenderError> {
    let mut a = Args::default();
    a.set("subnets", cx.exprs(&n.subnet_ids, prop)?)
        .set("security_groups", cx.exprs(&n.security_group_ids, prop)?)
        .set("assign_public_ip", n.assign_public_ip);
    Ok(a)
}
