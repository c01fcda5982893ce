//! A CloudFront distribution in front of an S3 origin (`aws_cloudfront_distribution`).

use hcl::Expression;
use iac_core::model::{Distribution, ResourceEntry, ViewerCertificate};

use crate::error::RenderError;
use crate::terraform::{Args, TfContext, ToTerraform};

impl ToTerraform for Distribution {
    fn arguments(&self, cx: &mut TfContext<'_>, entry: &ResourceEntry) -> Result<Args, RenderError> {
        let origin_id = "s3-origin";
        let mut a = Args::default();
        a.set("enabled", true)
            .set("comment", self.comment.as_str())
            .set_opt("default_root_object", self.default_root_object.as_deref().map(Expression::from));
        if !self.aliases.is_empty() {
            let aliases: Vec<Expression> = self.aliases.iter().map(|x| Expression::from(x.as_str())).collect();
            a.set("aliases", Expression::Array(aliases));
        }
        a.set("price_class", self.price_class.as_aws())
            .set("http_version", self.http_version.as_str())
            .set("is_ipv6_enabled", self.ipv6);
        let mut origin = Args::default();
        origin
            .set("origin_id", origin_id)
            .set("domain_name", cx.expr(&self.origin_domain_name, "origin.domain_name")?)
            .set(
                "origin_access_control_id",
                cx.expr(&self.origin_access_control_id, "origin.origin_access_control_id")?,
            );
        a.nested("origin", origin);
        let methods = || Expression::Array(vec![Expression::from("GET"), Expression::from("HEAD")]);
        let mut behavior = Args::default();
        behavior
            .set("target_origin_id", origin_id)
            .set("viewer_protocol_policy", "redirect-to-https")
            .set("allowed_methods", methods())
            .set("cached_methods", methods())
            .set("cache_policy_id", self.cache_policy_id.as_str())
            .set_opt("response_headers_policy_id", self.response_headers_policy_id.as_deref().map(Expression::from))
            .set("compress", true);
        a.nested("default_cache_behavior", behavior);
        let mut geo = Args::default();
        geo.set("restriction_type", "none").set("locations", Expression::Array(Vec::new()));
        let mut restrictions = Args::default();
        restrictions.nested("geo_restriction", geo);
        a.nested("restrictions", restrictions);
        let mut cert = Args::default();
        match &self.certificate {
            ViewerCertificate::CloudFrontDefault => {
                cert.set("cloudfront_default_certificate", true);
            }
            ViewerCertificate::Acm { certificate_arn, minimum_protocol_version } => {
                cert.set("acm_certificate_arn", cx.expr(certificate_arn, "viewer_certificate.acm_certificate_arn")?)
                    .set("ssl_support_method", "sni-only")
                    .set("minimum_protocol_version", minimum_protocol_version.as_str());
            }
        }
        a.nested("viewer_certificate", cert);
        a.set_opt("tags", cx.tags(entry));
        Ok(a)
    }
}
