//! A VPC (`AWS::EC2::VPC`).

use iac_core::model::{ResourceEntry, Vpc};
use serde_json::{Value as Json, json};

use crate::cloudformation::{CfnContext, ToCloudFormation};
use crate::error::RenderError;

impl ToCloudFormation for Vpc {
    fn properties(&self, cx: &mut CfnContext<'_>, _: &ResourceEntry) -> Result<Json, RenderError> {
        Ok(json!({
            "CidrBlock": cx.value(&self.cidr_block, "")?,
            "EnableDnsHostnames": self.enable_dns_hostnames,
            "EnableDnsSupport": self.enable_dns_support,
        }))
    }
}
