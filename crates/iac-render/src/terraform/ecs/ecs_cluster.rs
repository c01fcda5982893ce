//! An ECS cluster (`aws_ecs_cluster`).

use hcl::Expression;
use iac_core::model::{EcsCluster, ResourceEntry};

use crate::error::RenderError;
use crate::terraform::{Args, TfContext, ToTerraform};

impl ToTerraform for EcsCluster {
    fn arguments(&self, cx: &mut TfContext<'_>, entry: &ResourceEntry) -> Result<Args, RenderError> {
        let mut setting = Args::default();
        setting
            .set("name", "containerInsights")
            .set("value", if self.container_insights { "enabled" } else { "disabled" });
        let mut a = Args::default();
        a.set_opt("name", cx.name(entry).map(Expression::from))
            .nested("setting", setting)
            .set_opt("tags", cx.tags(entry));
        Ok(a)
    }
}
