//! A DNS record (`AWS::Route53::RecordSet`): an alias or plain values.

use iac_core::model::{RecordSet, RecordTarget, ResourceEntry};
use serde_json::{Value as Json, json};

use crate::cloudformation::{CfnContext, ToCloudFormation};
use crate::error::RenderError;

impl ToCloudFormation for RecordSet {
    fn properties(&self, cx: &mut CfnContext<'_>, _: &ResourceEntry) -> Result<Json, RenderError> {
        let mut p = json!({
            "HostedZoneId": cx.value(&self.hosted_zone_id, "")?,
            "Name": cx.value(&self.name, "")?,
            "Type": self.record_type.as_aws(),
        });
        match &self.target {
            RecordTarget::Alias { dns_name, hosted_zone_id, evaluate_target_health } => {
                p["AliasTarget"] = json!({
                    "DNSName": cx.value(dns_name, "")?,
                    "HostedZoneId": cx.value(hosted_zone_id, "")?,
                    "EvaluateTargetHealth": evaluate_target_health,
                });
            }
            RecordTarget::Values { ttl, values } => {
                p["TTL"] = json!(ttl.to_string());
                p["ResourceRecords"] = cx.list(values, "")?;
            }
        }
        Ok(p)
    }
}
