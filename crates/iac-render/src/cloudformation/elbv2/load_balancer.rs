//! An application load balancer (`AWS::ElasticLoadBalancingV2::LoadBalancer`).

use iac_core::model::{LoadBalancer, ResourceEntry, Scheme};
use serde_json::{Value as Json, json};

use crate::cloudformation::{CfnContext, ToCloudFormation};
use crate::error::RenderError;

impl ToCloudFormation for LoadBalancer {
    fn properties(&self, cx: &mut CfnContext<'_>, entry: &ResourceEntry) -> Result<Json, RenderError> {
        let prop = "Subnets";
        Ok(json!({
            "Name": cx.name(entry),
            "Type": "application",
            "Scheme": match self.scheme { Scheme::InternetFacing => "internet-facing", Scheme::Internal => "internal" },
            "Subnets": cx.list(&self.subnet_ids, prop)?,
            "SecurityGroups": cx.list(&self.security_group_ids, prop)?,
            "LoadBalancerAttributes": [
                { "Key": "deletion_protection.enabled", "Value": self.deletion_protection.to_string() },
                { "Key": "routing.http.drop_invalid_header_fields.enabled", "Value": self.drop_invalid_header_fields.to_string() },
                { "Key": "idle_timeout.timeout_seconds", "Value": self.idle_timeout_seconds.to_string() },
            ],
        }))
    }
}
