//! A Fargate task definition (`AWS::ECS::TaskDefinition`): containers and EFS volumes.

use iac_core::model::{ResourceEntry, TaskDefinition};
use serde_json::{Map, Value as Json, json};

use crate::cloudformation::{CfnContext, ToCloudFormation};
use crate::ecs::{self as container, Node};
use crate::error::RenderError;

impl ToCloudFormation for TaskDefinition {
    fn properties(&self, cx: &mut CfnContext<'_>, entry: &ResourceEntry) -> Result<Json, RenderError> {
        let prop = "ContainerDefinitions";
        let mut containers = Vec::new();
        for c in &self.containers {
            let def = container::container_definition(c, self.logs.as_ref())
                .map_err(|p| cx.unsupported(&format!("ContainerDefinitions.{}.{}", c.name, p.property), p.message))?;
            containers.push(node(cx, &def, prop)?);
        }
        let volumes = self
            .volumes
            .iter()
            .map(|vol| {
                Ok(json!({
                    "Name": vol.name,
                    "EFSVolumeConfiguration": {
                        "FilesystemId": cx.value(&vol.file_system_id, prop)?,
                        "TransitEncryption": "ENABLED",
                        "AuthorizationConfig": { "AccessPointId": cx.value(&vol.access_point_id, prop)?, "IAM": "ENABLED" },
                    },
                }))
            })
            .collect::<Result<Vec<_>, RenderError>>()?;
        let mut p = json!({
            "Family": cx.name(entry),
            "Cpu": self.cpu.to_string(),
            "Memory": self.memory_mib.to_string(),
            "NetworkMode": "awsvpc",
            "RequiresCompatibilities": ["FARGATE"],
            "RuntimePlatform": { "CpuArchitecture": self.cpu_architecture.as_aws(), "OperatingSystemFamily": "LINUX" },
            "ExecutionRoleArn": cx.value(&self.execution_role_arn, prop)?,
            "TaskRoleArn": cx.value(&self.task_role_arn, prop)?,
            "ContainerDefinitions": containers,
        });
        if !volumes.is_empty() {
            p["Volumes"] = Json::Array(volumes);
        }
        Ok(p)
    }
}

/// An ECS container definition tree with CloudFormation's (capitalised) property names.
fn node(cx: &CfnContext<'_>, n: &Node, property: &str) -> Result<Json, RenderError> {
    Ok(match n {
        Node::Lit(v) => v.clone(),
        Node::Value(v) => cx.value(v, property)?,
        Node::Obj(pairs) => {
            let mut m = Map::new();
            for (k, v) in pairs {
                let mut key = k.to_string();
                if let Some(first) = key.get_mut(0..1) {
                    first.make_ascii_uppercase();
                }
                m.insert(key, node(cx, v, property)?);
            }
            Json::Object(m)
        }
        Node::Map(pairs) => {
            let mut m = Map::new();
            for (k, v) in pairs {
                m.insert(k.clone(), node(cx, v, property)?);
            }
            Json::Object(m)
        }
        Node::List(items) => Json::Array(items.iter().map(|i| node(cx, i, property)).collect::<Result<_, _>>()?),
    })
}
