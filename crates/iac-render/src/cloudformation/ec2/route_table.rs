//! A route table (`AWS::EC2::RouteTable`).

use iac_core::model::{ResourceEntry, RouteTable};
use serde_json::{Value as Json, json};

use crate::cloudformation::{CfnContext, ToCloudFormation};
use crate::error::RenderError;

impl ToCloudFormation for RouteTable {
    fn properties(&self, cx: &mut CfnContext<'_>, _: &ResourceEntry) -> Result<Json, RenderError> {
        Ok(json!({ "VpcId": cx.value(&self.vpc_id, "")? }))
    }
}
