//! An internet gateway (`AWS::EC2::InternetGateway`): tags only.

use iac_core::model::{InternetGateway, ResourceEntry};
use serde_json::{Value as Json, json};

use crate::cloudformation::{CfnContext, ToCloudFormation};
use crate::error::RenderError;

impl ToCloudFormation for InternetGateway {
    fn properties(&self, _: &mut CfnContext<'_>, _: &ResourceEntry) -> Result<Json, RenderError> {
        Ok(json!({}))
    }
}
