//! A Fargate task definition (`aws_ecs_task_definition`): containers (`jsonencode`d) and EFS volumes.

use hcl::Expression;
use iac_core::model::{ResourceEntry, TaskDefinition};

use crate::ecs::{self as container, Node};
use crate::error::RenderError;
use crate::terraform::{Args, TfContext, ToTerraform, func, json_expr, object};

impl ToTerraform for TaskDefinition {
    fn arguments(&self, cx: &mut TfContext<'_>, entry: &ResourceEntry) -> Result<Args, RenderError> {
        let mut containers = Vec::new();
        for c in &self.containers {
            let def = container::container_definition(c, self.logs.as_ref())
                .map_err(|p| cx.unsupported(&format!("container_definitions.{}.{}", c.name, p.property), p.message))?;
            containers.push(node(cx, &def, "container_definitions")?);
        }
        let mut platform = Args::default();
        platform.set("operating_system_family", "LINUX").set("cpu_architecture", self.cpu_architecture.as_aws());
        let mut a = Args::default();
        a.set_opt("family", cx.name(entry).map(Expression::from))
            .set("cpu", self.cpu.to_string())
            .set("memory", self.memory_mib.to_string())
            .set("network_mode", "awsvpc")
            .set("requires_compatibilities", Expression::Array(vec![Expression::from("FARGATE")]))
            .set("execution_role_arn", cx.expr(&self.execution_role_arn, "execution_role_arn")?)
            .set("task_role_arn", cx.expr(&self.task_role_arn, "task_role_arn")?)
            .set("container_definitions", func("jsonencode", [Expression::Array(containers)]))
            .nested("runtime_platform", platform);
        for v in &self.volumes {
            let mut auth = Args::default();
            auth.set("access_point_id", cx.expr(&v.access_point_id, "volume.access_point_id")?).set("iam", "ENABLED");
            let mut efs = Args::default();
            efs.set("file_system_id", cx.expr(&v.file_system_id, "volume.file_system_id")?)
                .set("transit_encryption", "ENABLED")
                .nested("authorization_config", auth);
            let mut vol = Args::default();
            vol.set("name", v.name.as_str()).nested("efs_volume_configuration", efs);
            a.nested("volume", vol);
        }
        a.set_opt("tags", cx.tags(entry));
        Ok(a)
    }
}

/// An ECS container definition tree as an HCL object (for `jsonencode`).
fn node(cx: &mut TfContext<'_>, n: &Node, prop: &str) -> Result<Expression, RenderError> {
    Ok(match n {
        Node::Lit(v) => json_expr(v),
        Node::Value(v) => cx.expr(v, prop)?,
        Node::Obj(pairs) => {
            let mut out = Vec::new();
            for (k, v) in pairs {
                out.push((*k, node(cx, v, prop)?));
            }
            object(out)
        }
        Node::Map(pairs) => {
            let mut out = Vec::new();
            for (k, v) in pairs {
                out.push((k.as_str(), node(cx, v, prop)?));
            }
            object(out)
        }
        Node::List(items) => Expression::Array(items.iter().map(|i| node(cx, i, prop)).collect::<Result<_, _>>()?),
    })
}
