//! A target group with its health check (`aws_lb_target_group`).

use hcl::Expression;
use iac_core::model::{ResourceEntry, TargetGroup};

use crate::error::RenderError;
use crate::terraform::{Args, TfContext, ToTerraform};

impl ToTerraform for TargetGroup {
    fn arguments(&self, cx: &mut TfContext<'_>, entry: &ResourceEntry) -> Result<Args, RenderError> {
        let h = &self.health_check;
        let mut hc = Args::default();
        hc.set("enabled", true)
            .set("path", h.path.as_str())
            .set("port", h.port.map_or_else(|| "traffic-port".to_owned(), |p| p.to_string()))
            .set("protocol", h.protocol.as_aws())
            .set("matcher", h.matcher.as_str())
            .set("interval", h.interval_seconds)
            .set("timeout", h.timeout_seconds)
            .set("healthy_threshold", h.healthy_threshold)
            .set("unhealthy_threshold", h.unhealthy_threshold);
        let mut a = Args::default();
        a.set_opt("name", cx.name(entry).map(Expression::from))
            .set("port", self.port)
            .set("protocol", self.protocol.as_aws())
            .set("vpc_id", cx.expr(&self.vpc_id, "vpc_id")?)
            .set("target_type", self.target_type.as_aws())
            .set("deregistration_delay", self.deregistration_delay_seconds)
            .nested("health_check", hc)
            .set_opt("tags", cx.tags(entry));
        Ok(a)
    }
}
