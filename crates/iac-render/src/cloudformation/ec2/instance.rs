//! A single EC2 instance (`AWS::EC2::Instance`): the launch template's machine, with the few keys
//! that differ, launched from its template of metadata options when it has one.

use super::machine;
use iac_core::model::{Instance, ResourceEntry};
use serde_json::{Value as Json, json};

use crate::cloudformation::{CfnContext, ToCloudFormation};
use crate::error::RenderError;

impl ToCloudFormation for Instance {
    fn properties(&self, cx: &mut CfnContext<'_>, _: &ResourceEntry) -> Result<Json, RenderError> {
        let mut p = machine(cx, &self.machine)?;
        p["SubnetId"] = cx.value(&self.subnet_id, "")?;
        if let Some(Json::Object(profile)) = p.get("IamInstanceProfile").cloned() {
            p["IamInstanceProfile"] = profile.get("Name").cloned().unwrap_or(Json::Null);
        }
        if let Some(Json::Object(m)) = p.get("Monitoring").cloned() {
            p["Monitoring"] = m.get("Enabled").cloned().unwrap_or(json!(false));
        }
        // AWS::EC2::Instance takes metadata options only through a launch template.
        if let Json::Object(o) = &mut p {
            o.remove("MetadataOptions");
        }
        if let Some(t) = &self.launch_template {
            p["LaunchTemplate"] = json!({
                "LaunchTemplateId": cx.value(&t.id, "LaunchTemplate")?,
                "Version": cx.value(&t.version, "LaunchTemplate")?,
            });
        }
        Ok(p)
    }
}
