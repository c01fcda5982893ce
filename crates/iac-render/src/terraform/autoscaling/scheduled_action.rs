//! A scheduled change of a group's size (`aws_autoscaling_schedule`).

use hcl::Expression;
use iac_core::model::{ResourceEntry, ScheduledAction};

use crate::error::RenderError;
use crate::terraform::{Args, TfContext, ToTerraform};

impl ToTerraform for ScheduledAction {
    fn arguments(&self, cx: &mut TfContext<'_>, entry: &ResourceEntry) -> Result<Args, RenderError> {
        let name = cx.stack().physical_name(&entry.id, 255);
        let mut a = Args::default();
        a.set("scheduled_action_name", name)
            .set("autoscaling_group_name", cx.expr(&self.auto_scaling_group_name, "autoscaling_group_name")?)
            .set("recurrence", self.recurrence.as_str())
            .set_opt("time_zone", self.time_zone.as_deref().map(Expression::from))
            .set_opt("min_size", self.min_size.map(Expression::from))
            .set_opt("max_size", self.max_size.map(Expression::from))
            .set_opt("desired_capacity", self.desired_capacity.map(Expression::from));
        Ok(a)
    }
}
