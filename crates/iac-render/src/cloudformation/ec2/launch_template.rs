//! A launch template (`AWS::EC2::LaunchTemplate`): the machine, tagged at launch, or only the
//! metadata options a single instance launches with.

use super::{machine, metadata_options};
use iac_core::model::{LaunchTemplate, ResourceEntry};
use serde_json::{Value as Json, json};

use crate::cloudformation::{CfnContext, ToCloudFormation};
use crate::error::RenderError;

impl ToCloudFormation for LaunchTemplate {
    fn properties(&self, cx: &mut CfnContext<'_>, entry: &ResourceEntry) -> Result<Json, RenderError> {
        let tags = cx.tags(entry);
        let data = match &self.machine {
            Some(m) => {
                let mut data = machine(cx, m)?;
                data["TagSpecifications"] = json!([
                    { "ResourceType": "instance", "Tags": tags },
                    { "ResourceType": "volume", "Tags": tags },
                ]);
                data
            }
            // The metadata options of a single instance, which tags itself.
            None => json!({ "MetadataOptions": metadata_options() }),
        };
        Ok(json!({
            "LaunchTemplateName": cx.name(entry),
            "LaunchTemplateData": data,
            "TagSpecifications": [{ "ResourceType": "launch-template", "Tags": tags }],
        }))
    }
}
