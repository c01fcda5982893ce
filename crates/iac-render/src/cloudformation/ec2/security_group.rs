//! A security group (`AWS::EC2::SecurityGroup`) with its inline rules.

use super::rule;
use iac_core::model::{ResourceEntry, SecurityGroup};
use serde_json::{Value as Json, json};

use crate::cloudformation::{CfnContext, ToCloudFormation};
use crate::error::RenderError;

impl ToCloudFormation for SecurityGroup {
    fn properties(&self, cx: &mut CfnContext<'_>, entry: &ResourceEntry) -> Result<Json, RenderError> {
        let prop = "SecurityGroupIngress";
        let ingress = self.ingress.iter().map(|r| rule(cx, r, true, prop)).collect::<Result<Vec<_>, _>>()?;
        let egress = if self.egress.is_empty() {
            // No rule means "allow all" to CloudFormation; this one matches nothing (as the CDK does).
            vec![json!({
                "IpProtocol": "icmp", "FromPort": 252, "ToPort": 86, "CidrIp": "255.255.255.255/32",
                "Description": "Disallow all egress",
            })]
        } else {
            self.egress.iter().map(|r| rule(cx, r, false, prop)).collect::<Result<Vec<_>, _>>()?
        };
        let mut p = json!({
            "GroupName": cx.name(entry),
            "GroupDescription": self.description,
            "VpcId": cx.value(&self.vpc_id, prop)?,
            "SecurityGroupEgress": egress,
        });
        if !ingress.is_empty() {
            p["SecurityGroupIngress"] = Json::Array(ingress);
        }
        Ok(p)
    }
}
