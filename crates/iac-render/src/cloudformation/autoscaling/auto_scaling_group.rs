//! An Auto Scaling group (`AWS::AutoScaling::AutoScalingGroup`): it tags its instances itself.

use iac_core::model::{AutoScalingGroup, HealthCheckType, ResourceEntry};
use iac_core::naming;
use serde_json::{Value as Json, json};

use crate::cloudformation::{CfnContext, ToCloudFormation};
use crate::error::RenderError;

impl ToCloudFormation for AutoScalingGroup {
    fn properties(&self, cx: &mut CfnContext<'_>, entry: &ResourceEntry) -> Result<Json, RenderError> {
        let prop = "LaunchTemplate";
        let tags: Vec<Json> = naming::tags(cx.stack(), entry)
            .into_iter()
            .map(|(k, v)| json!({ "Key": k, "Value": v, "PropagateAtLaunch": true }))
            .collect();
        Ok(json!({
            "AutoScalingGroupName": cx.name(entry),
            "LaunchTemplate": {
                "LaunchTemplateId": cx.value(&self.launch_template_id, prop)?,
                "Version": cx.value(&self.launch_template_version, prop)?,
            },
            "MinSize": self.min_size.to_string(),
            "MaxSize": self.max_size.to_string(),
            "DesiredCapacity": self.desired_capacity.to_string(),
            "VPCZoneIdentifier": cx.list(&self.subnet_ids, prop)?,
            "TargetGroupARNs": cx.list(&self.target_group_arns, prop)?,
            "HealthCheckType": match self.health_check_type { HealthCheckType::Elb => "ELB", HealthCheckType::Ec2 => "EC2" },
            "HealthCheckGracePeriod": self.health_check_grace_period,
            "MetricsCollection": [{ "Granularity": "1Minute" }],
            "Tags": tags,
        }))
    }
}
