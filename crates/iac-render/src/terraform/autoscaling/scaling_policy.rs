//! A target-tracking scaling policy (`aws_autoscaling_policy`).

use iac_core::model::{ResourceEntry, ScalingPolicy, TrackedMetric};

use crate::error::RenderError;
use crate::terraform::{Args, TfContext, ToTerraform};

impl ToTerraform for ScalingPolicy {
    fn arguments(&self, cx: &mut TfContext<'_>, entry: &ResourceEntry) -> Result<Args, RenderError> {
        let name = cx.stack().physical_name(&entry.id, 255);
        if !self.target_value.is_finite() {
            return Err(cx.unsupported("target_value", "the target value is not a finite number"));
        }
        let mut metric = Args::default();
        metric.set(
            "predefined_metric_type",
            match self.metric {
                TrackedMetric::AverageCpu => "ASGAverageCPUUtilization",
                TrackedMetric::AverageNetworkIn => "ASGAverageNetworkIn",
            },
        );
        let mut tracking = Args::default();
        tracking.nested("predefined_metric_specification", metric).set("target_value", self.target_value);
        let mut a = Args::default();
        a.set("name", name)
            .set("autoscaling_group_name", cx.expr(&self.auto_scaling_group_name, "autoscaling_group_name")?)
            .set("policy_type", "TargetTrackingScaling")
            .nested("target_tracking_configuration", tracking);
        Ok(a)
    }
}
