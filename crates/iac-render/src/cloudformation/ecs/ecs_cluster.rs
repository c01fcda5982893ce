//! An ECS cluster (`AWS::ECS::Cluster`).

use iac_core::model::{EcsCluster, ResourceEntry};
use serde_json::{Value as Json, json};

use crate::cloudformation::{CfnContext, ToCloudFormation};
use crate::error::RenderError;

impl ToCloudFormation for EcsCluster {
    fn properties(&self, cx: &mut CfnContext<'_>, entry: &ResourceEntry) -> Result<Json, RenderError> {
        let insights = if self.container_insights { "enabled" } else { "disabled" };
        Ok(json!({
            "ClusterName": cx.name(entry),
            "ClusterSettings": [{ "Name": "containerInsights", "Value": insights }],
        }))
    }
}
