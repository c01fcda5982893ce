//! An application load balancer (`aws_lb`).

use hcl::Expression;
use iac_core::model::{LoadBalancer, ResourceEntry, Scheme};

use crate::error::RenderError;
use crate::terraform::{Args, TfContext, ToTerraform};

impl ToTerraform for LoadBalancer {
    fn arguments(&self, cx: &mut TfContext<'_>, entry: &ResourceEntry) -> Result<Args, RenderError> {
        let mut a = Args::default();
        a.set_opt("name", cx.name(entry).map(Expression::from))
            .set("load_balancer_type", "application")
            .set("internal", self.scheme == Scheme::Internal)
            .set("subnets", cx.exprs(&self.subnet_ids, "subnets")?)
            .set("security_groups", cx.exprs(&self.security_group_ids, "security_groups")?)
            .set("enable_deletion_protection", self.deletion_protection)
            .set("drop_invalid_header_fields", self.drop_invalid_header_fields)
            .set("idle_timeout", self.idle_timeout_seconds)
            .set_opt("tags", cx.tags(entry));
        Ok(a)
    }
}
