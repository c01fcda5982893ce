//! A target-tracking scaling policy (`AWS::AutoScaling::ScalingPolicy`).

use iac_core::model::{ResourceEntry, ScalingPolicy, TrackedMetric};
use serde_json::{Value as Json, json};

use crate::cloudformation::{CfnContext, ToCloudFormation};
use crate::error::RenderError;

impl ToCloudFormation for ScalingPolicy {
    fn properties(&self, cx: &mut CfnContext<'_>, _: &ResourceEntry) -> Result<Json, RenderError> {
        Ok(json!({
            "AutoScalingGroupName": cx.value(&self.auto_scaling_group_name, "")?,
            "PolicyType": "TargetTrackingScaling",
            "TargetTrackingConfiguration": {
                "PredefinedMetricSpecification": { "PredefinedMetricType": match self.metric {
                    TrackedMetric::AverageCpu => "ASGAverageCPUUtilization",
                    TrackedMetric::AverageNetworkIn => "ASGAverageNetworkIn",
                } },
                "TargetValue": self.target_value,
            },
        }))
    }
}
