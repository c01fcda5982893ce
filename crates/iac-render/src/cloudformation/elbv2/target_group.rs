//! A target group with its health check (`AWS::ElasticLoadBalancingV2::TargetGroup`).

use iac_core::model::{ResourceEntry, TargetGroup};
use serde_json::{Value as Json, json};

use crate::cloudformation::{CfnContext, ToCloudFormation};
use crate::error::RenderError;

impl ToCloudFormation for TargetGroup {
    fn properties(&self, cx: &mut CfnContext<'_>, entry: &ResourceEntry) -> Result<Json, RenderError> {
        let h = &self.health_check;
        Ok(json!({
            "Name": cx.name(entry),
            "Port": self.port,
            "Protocol": self.protocol.as_aws(),
            "VpcId": cx.value(&self.vpc_id, "VpcId")?,
            "TargetType": self.target_type.as_aws(),
            "HealthCheckEnabled": true,
            "HealthCheckPath": h.path,
            "HealthCheckPort": h.port.map_or_else(|| "traffic-port".to_owned(), |p| p.to_string()),
            "HealthCheckProtocol": h.protocol.as_aws(),
            "HealthCheckIntervalSeconds": h.interval_seconds,
            "HealthCheckTimeoutSeconds": h.timeout_seconds,
            "HealthyThresholdCount": h.healthy_threshold,
            "UnhealthyThresholdCount": h.unhealthy_threshold,
            "Matcher": { "HttpCode": h.matcher },
            "TargetGroupAttributes": [{ "Key": "deregistration_delay.timeout_seconds", "Value": self.deregistration_delay_seconds.to_string() }],
        }))
    }
}
