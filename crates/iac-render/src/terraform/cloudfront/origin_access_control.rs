//! An origin access control (`aws_cloudfront_origin_access_control`): CloudFront signs its requests to S3.

use hcl::Expression;
use iac_core::model::{OriginAccessControl, ResourceEntry};

use crate::error::RenderError;
use crate::terraform::{Args, TfContext, ToTerraform};

impl ToTerraform for OriginAccessControl {
    fn arguments(&self, cx: &mut TfContext<'_>, entry: &ResourceEntry) -> Result<Args, RenderError> {
        let mut a = Args::default();
        a.set_opt("name", cx.name(entry).map(Expression::from))
            .set("description", self.description.as_str())
            .set("origin_access_control_origin_type", "s3")
            .set("signing_behavior", "always")
            .set("signing_protocol", "sigv4");
        Ok(a)
    }
}
