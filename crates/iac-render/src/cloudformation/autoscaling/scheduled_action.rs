//! A scheduled change of a group's size (`AWS::AutoScaling::ScheduledAction`).

use iac_core::model::{ResourceEntry, ScheduledAction};
use serde_json::{Value as Json, json};

use crate::cloudformation::{CfnContext, ToCloudFormation};
use crate::error::RenderError;

impl ToCloudFormation for ScheduledAction {
    fn properties(&self, cx: &mut CfnContext<'_>, _: &ResourceEntry) -> Result<Json, RenderError> {
        let mut p = json!({
            "AutoScalingGroupName": cx.value(&self.auto_scaling_group_name, "")?,
            "Recurrence": self.recurrence,
        });
        if let Some(tz) = &self.time_zone {
            p["TimeZone"] = json!(tz);
        }
        if let Some(n) = self.min_size {
            p["MinSize"] = json!(n);
        }
        if let Some(n) = self.max_size {
            p["MaxSize"] = json!(n);
        }
        if let Some(n) = self.desired_capacity {
            p["DesiredCapacity"] = json!(n);
        }
        Ok(p)
    }
}
