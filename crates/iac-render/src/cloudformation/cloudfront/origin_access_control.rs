//! An origin access control (`AWS::CloudFront::OriginAccessControl`): CloudFront signs its requests to S3.

use iac_core::model::{OriginAccessControl, ResourceEntry};
use serde_json::{Value as Json, json};

use crate::cloudformation::{CfnContext, ToCloudFormation};
use crate::error::RenderError;

impl ToCloudFormation for OriginAccessControl {
    fn properties(&self, cx: &mut CfnContext<'_>, entry: &ResourceEntry) -> Result<Json, RenderError> {
        Ok(json!({ "OriginAccessControlConfig": {
            "Name": cx.name(entry),
            "Description": self.description,
            "OriginAccessControlOriginType": "s3",
            "SigningBehavior": "always",
            "SigningProtocol": "sigv4",
        } }))
    }
}
