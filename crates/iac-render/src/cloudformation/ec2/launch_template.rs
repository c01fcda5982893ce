//! A launch template (`AWS::EC2::LaunchTemplate`): the machine, tagged at launch.

use super::machine;
use iac_core::model::{LaunchTemplate, ResourceEntry};
use serde_json::{Value as Json, json};

use crate::cloudformation::{CfnContext, ToCloudFormation};
use crate::error::RenderError;

impl ToCloudFormation for LaunchTemplate {
    fn properties(&self, cx: &mut CfnContext<'_>, entry: &ResourceEntry) -> Result<Json, RenderError> {
        let mut data = machine(cx, &self.machine)?;
        let tags = cx.tags(entry);
        data["TagSpecifications"] = json!([
            { "ResourceType": "instance", "Tags": tags },
            { "ResourceType": "volume", "Tags": tags },
        ]);
        Ok(json!({
            "LaunchTemplateName": cx.name(entry),
            "LaunchTemplateData": data,
            "TagSpecifications": [{ "ResourceType": "launch-template", "Tags": tags }],
        }))
    }
}
