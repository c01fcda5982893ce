//! `AssetCdn`: a private S3 bucket served by CloudFront through origin access control. The
//! bucket blocks all public access; its policy lets only this distribution read objects (and
//! refuses plain HTTP); viewers are redirected to HTTPS.

use crate::model::{
    Bucket, BucketEncryption, BucketPolicy, CACHING_OPTIMIZED, Distribution, Handle, LifecycleRule, ObjectOwnership,
    OriginAccessControl, PolicyStatement, PriceClass, RecordSet, RecordTarget, RecordType, SECURITY_HEADERS_POLICY,
    ViewerCertificate,
};
use crate::stack::StackBuilder;
use crate::value::Value;

/// TLS policy of viewer connections: TLS 1.2 or later.
pub const CLOUDFRONT_TLS_POLICY: &str = "TLSv1.2_2021";

/// What an asset CDN looks like.
#[derive(Debug, Clone)]
pub struct AssetCdnProps<'a> {
    /// Prefix of every logical id, e.g. `Assets`.
    pub name: &'a str,
    /// The bucket's name (generated when absent).
    pub bucket_name: Option<String>,
    /// Lifecycle rules of the bucket.
    pub lifecycle_rules: Vec<LifecycleRule>,
    /// Alternate domain names, e.g. `assets.example.org`.
    pub aliases: Vec<String>,
    /// An ACM certificate in us-east-1 for the aliases.
    pub certificate_arn: Option<Value<String>>,
    /// Edge locations.
    pub price_class: PriceClass,
    /// Object served for `/`.
    pub default_root_object: Option<String>,
}

/// Handles of an asset CDN.
#[derive(Debug, Clone)]
pub struct AssetCdn {
    /// The bucket.
    pub bucket: Handle<Bucket>,
    /// The origin access control.
    pub origin_access_control: Handle<OriginAccessControl>,
    /// The distribution.
    pub distribution: Handle<Distribution>,
    /// The bucket policy.
    pub policy: Handle<BucketPolicy>,
}

impl AssetCdn {
    /// Adds the bucket, the origin access control, the distribution and the bucket policy.
    pub fn create(stack: &mut StackBuilder, p: AssetCdnProps<'_>) -> Self {
        stack.pattern("AssetCdn", p.name, |stack| Self::add_resources(stack, p))
    }

    /// [`Self::create`] inside its pattern scope.
    #[allow(clippy::too_many_lines)] // one declaration per resource, read top to bottom
    fn add_resources(stack: &mut StackBuilder, p: AssetCdnProps<'_>) -> Self {
        let n = p.name;
        let bucket = stack.add_with(
            &format!("{n}Bucket"),
            Bucket {
                name: p.bucket_name,
                // SSE-S3: CloudFront's origin access control cannot use the AWS-managed aws/s3 key.
                encryption: BucketEncryption::S3Managed,
                block_public_access: true,
                versioning: true,
                object_ownership: ObjectOwnership::BucketOwnerEnforced,
                lifecycle_rules: p.lifecycle_rules,
            },
            |e| bucket_suppressions(e, true),
        );
        let oac = stack.add(
            &format!("{n}OriginAccessControl"),
            OriginAccessControl {
                name: None,
                description: format!(
                    "{} {} {n}: CloudFront signs its requests to the bucket",
                    stack.name(),
                    stack.env()
                ),
            },
        );
        let certificate = match p.certificate_arn {
            Some(arn) => {
                ViewerCertificate::Acm { certificate_arn: arn, minimum_protocol_version: CLOUDFRONT_TLS_POLICY.into() }
            }
            None => ViewerCertificate::CloudFrontDefault,
        };
        let default_cert = matches!(certificate, ViewerCertificate::CloudFrontDefault);
        let no_root_object = p.default_root_object.is_none();
        let distribution = stack.add_with(
            &format!("{n}Distribution"),
            Distribution {
                comment: format!("{} {} {n}", stack.name(), stack.env()),
                origin_domain_name: bucket.regional_domain_name(),
                origin_access_control_id: oac.control_id(),
                default_root_object: p.default_root_object,
                cache_policy_id: CACHING_OPTIMIZED.into(),
                response_headers_policy_id: Some(SECURITY_HEADERS_POLICY.into()),
                aliases: p.aliases,
                certificate,
                price_class: p.price_class,
                http_version: "http2and3".into(),
                ipv6: true,
            },
            |e| {
                e.suppressions.push(super::suppress(
                    "CKV_AWS_68",
                    "static public assets only (map tiles, exports): no forms or APIs for a WAF to protect",
                ));
                e.suppressions.push(super::suppress(
                    "CKV2_AWS_47",
                    "no WAF: the origin is a private bucket of static files that runs no code (no Log4j surface)",
                ));
                e.suppressions.push(super::suppress(
                    "CKV_AWS_86",
                    "standard logs need a log bucket per account; they are switched on by the logging baseline",
                ));
                e.suppressions.push(super::suppress(
                    "CKV_AWS_374",
                    "the assets are public data for every country: no geographic restriction applies",
                ));
                e.suppressions.push(super::suppress(
                    "CKV2_AWS_32",
                    "the managed SecurityHeadersPolicy is attached by id, which checkov cannot resolve to a resource",
                ));
                if no_root_object {
                    e.suppressions.push(super::suppress(
                        "CKV_AWS_305",
                        "assets are fetched by path; `/` lists nothing (origin access control answers 403 there)",
                    ));
                }
                e.suppressions.push(super::suppress(
                    "CKV_AWS_310",
                    "one origin: the bucket is regional and as available as a failover origin would be",
                ));
                if default_cert {
                    e.suppressions.push(super::suppress(
                        "CKV_AWS_174",
                        "no alias in this environment: the *.cloudfront.net certificate is used and its TLS floor is CloudFront's",
                    ));
                    e.suppressions.push(super::suppress(
                        "CKV2_AWS_42",
                        "no alias in this environment, so no custom certificate to attach",
                    ));
                }
            },
        );
        let policy = stack.add(
            &format!("{n}BucketPolicy"),
            BucketPolicy {
                bucket: bucket.name(),
                statements: vec![
                    PolicyStatement::cloudfront_read(bucket.arn(), distribution.arn()),
                    PolicyStatement::deny_insecure_transport(bucket.arn()),
                ],
            },
        );
        Self { bucket, origin_access_control: oac, distribution, policy }
    }

    /// An alias `A` record `name` in `zone` pointing at the distribution.
    pub fn alias_record(
        &self,
        stack: &mut StackBuilder,
        id: &str,
        hosted_zone_id: impl Into<Value<String>>,
        name: impl Into<Value<String>>,
    ) -> Handle<RecordSet> {
        stack.add(
            id,
            RecordSet {
                hosted_zone_id: hosted_zone_id.into(),
                name: name.into(),
                record_type: RecordType::A,
                target: RecordTarget::Alias {
                    dns_name: self.distribution.domain_name(),
                    hosted_zone_id: self.distribution.hosted_zone_id(),
                    evaluate_target_health: false,
                },
            },
        )
    }
}

/// Policy checks that do not apply to this project's buckets, with the reasons.
pub fn bucket_suppressions(e: &mut crate::model::ResourceEntry, served_by_cloudfront: bool) {
    e.suppressions.push(super::suppress(
        "CKV_AWS_18",
        "server access logs need a log bucket per account and region; they are switched on by the logging baseline",
    ));
    e.suppressions.push(super::suppress(
        "CKV_AWS_144",
        "cross-region replication is a disaster-recovery choice of the account, not of this stack",
    ));
    e.suppressions.push(super::suppress("CKV2_AWS_62", "nothing consumes object events of this bucket"));
    if served_by_cloudfront {
        e.suppressions.push(super::suppress(
            "CKV_AWS_145",
            "SSE-S3: CloudFront origin access control cannot decrypt objects under the AWS-managed aws/s3 KMS key",
        ));
    }
}
