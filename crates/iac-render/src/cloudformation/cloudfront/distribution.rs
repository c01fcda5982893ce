//! A CloudFront distribution in front of an S3 origin (`AWS::CloudFront::Distribution`).

use iac_core::model::{Distribution, ResourceEntry, ViewerCertificate};
use serde_json::{Value as Json, json};

use crate::cloudformation::{CfnContext, ToCloudFormation};
use crate::error::RenderError;

impl ToCloudFormation for Distribution {
    fn properties(&self, cx: &mut CfnContext<'_>, _: &ResourceEntry) -> Result<Json, RenderError> {
        let origin_id = "s3-origin";
        let mut behavior = json!({
            "TargetOriginId": origin_id,
            "ViewerProtocolPolicy": "redirect-to-https",
            "AllowedMethods": ["GET", "HEAD"],
            "CachedMethods": ["GET", "HEAD"],
            "CachePolicyId": self.cache_policy_id,
            "Compress": true,
        });
        if let Some(id) = &self.response_headers_policy_id {
            behavior["ResponseHeadersPolicyId"] = json!(id);
        }
        let certificate = match &self.certificate {
            ViewerCertificate::CloudFrontDefault => json!({ "CloudFrontDefaultCertificate": true }),
            ViewerCertificate::Acm { certificate_arn, minimum_protocol_version } => json!({
                "AcmCertificateArn": cx.value(certificate_arn, "")?,
                "SslSupportMethod": "sni-only",
                "MinimumProtocolVersion": minimum_protocol_version,
            }),
        };
        let mut config = json!({
            "Enabled": true,
            "Comment": self.comment,
            "Origins": [{
                "Id": origin_id,
                "DomainName": cx.value(&self.origin_domain_name, "")?,
                "OriginAccessControlId": cx.value(&self.origin_access_control_id, "")?,
                // OAC replaces the legacy identity; CloudFront still wants the empty S3 config.
                "S3OriginConfig": { "OriginAccessIdentity": "" },
            }],
            "DefaultCacheBehavior": behavior,
            "PriceClass": self.price_class.as_aws(),
            "HttpVersion": self.http_version,
            "IPV6Enabled": self.ipv6,
            "ViewerCertificate": certificate,
        });
        if let Some(root) = &self.default_root_object {
            config["DefaultRootObject"] = json!(root);
        }
        if !self.aliases.is_empty() {
            config["Aliases"] = json!(self.aliases);
        }
        Ok(json!({ "DistributionConfig": config }))
    }
}
