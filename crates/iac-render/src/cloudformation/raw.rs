//! A raw resource: the CloudFormation type and properties the user gave, emitted as given.

use iac_core::model::{RawResource, ResourceEntry};
use serde_json::Value as Json;

use crate::cloudformation::{CfnContext, ToCloudFormation};
use crate::error::RenderError;

impl ToCloudFormation for RawResource {
    fn properties(&self, cx: &mut CfnContext<'_>, _: &ResourceEntry) -> Result<Json, RenderError> {
        match &self.cloudformation {
            Some((_, props)) => Ok(props.clone()),
            None => Err(cx.unsupported(
                "cloudformation",
                "this raw resource has no CloudFormation form; give one or leave the stack out of this target",
            )),
        }
    }
}
