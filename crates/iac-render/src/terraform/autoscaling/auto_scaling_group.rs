//! An Auto Scaling group (`aws_autoscaling_group`): it tags its instances itself.

use hcl::Expression;
use iac_core::model::{AutoScalingGroup, HealthCheckType, ResourceEntry};
use iac_core::naming;

use crate::error::RenderError;
use crate::terraform::{Args, TfContext, ToTerraform};

impl ToTerraform for AutoScalingGroup {
    fn arguments(&self, cx: &mut TfContext<'_>, entry: &ResourceEntry) -> Result<Args, RenderError> {
        let tags = naming::tags(cx.stack(), entry);
        let mut a = Args::default();
        a.set_opt("name", cx.name(entry).map(Expression::from))
            .set("min_size", self.min_size)
            .set("max_size", self.max_size)
            .set("desired_capacity", self.desired_capacity)
            .set("vpc_zone_identifier", cx.exprs(&self.subnet_ids, "vpc_zone_identifier")?);
        if !self.target_group_arns.is_empty() {
            a.set("target_group_arns", cx.exprs(&self.target_group_arns, "target_group_arns")?);
        }
        a.set(
            "health_check_type",
            match self.health_check_type {
                HealthCheckType::Elb => "ELB",
                HealthCheckType::Ec2 => "EC2",
            },
        )
        .set("health_check_grace_period", self.health_check_grace_period);
        let mut lt = Args::default();
        lt.set("id", cx.expr(&self.launch_template_id, "launch_template.id")?)
            .set("version", cx.expr(&self.launch_template_version, "launch_template.version")?);
        a.nested("launch_template", lt);
        for (key, value) in &tags {
            let mut tag = Args::default();
            tag.set("key", key.as_str()).set("value", value.as_str()).set("propagate_at_launch", true);
            a.nested("tag", tag);
        }
        Ok(a)
    }
}
