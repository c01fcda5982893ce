//! A subnet associated with a route table (`AWS::EC2::SubnetRouteTableAssociation`).

use iac_core::model::{ResourceEntry, SubnetRouteTableAssociation};
use serde_json::{Value as Json, json};

use crate::cloudformation::{CfnContext, ToCloudFormation};
use crate::error::RenderError;

impl ToCloudFormation for SubnetRouteTableAssociation {
    fn properties(&self, cx: &mut CfnContext<'_>, _: &ResourceEntry) -> Result<Json, RenderError> {
        Ok(json!({ "SubnetId": cx.value(&self.subnet_id, "")?, "RouteTableId": cx.value(&self.route_table_id, "")? }))
    }
}
