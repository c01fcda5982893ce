//! CloudFront: origin access control and distributions in front of an S3 bucket.

use serde::Serialize;

use crate::model::spec::prelude::*;
use crate::value::{Refs, Value};

/// The managed cache policy `CachingOptimized`.
pub const CACHING_OPTIMIZED: &str = "658327ea-f89d-4fab-a63d-7e88639e58f6";
/// The managed response headers policy `SecurityHeadersPolicy` (HSTS, nosniff, frame options...).
pub const SECURITY_HEADERS_POLICY: &str = "67f7725c-6f97-4210-82d7-5512b31e9d03";
/// The Route53 hosted zone of every CloudFront distribution, for alias records.
pub const CLOUDFRONT_HOSTED_ZONE_ID: &str = "Z2FDTNDATAQYW2";

/// `AWS::CloudFront::OriginAccessControl` / `aws_cloudfront_origin_access_control`: CloudFront
/// signs its requests to an S3 origin (`SigV4`, always), so the bucket stays private.
#[derive(Debug, Clone, Serialize, Refs)]
pub struct OriginAccessControl {
    /// The control's name (unique in the account); derived when absent.
    pub name: Option<String>,
    /// Description.
    pub description: String,
}

/// Edge locations a distribution uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Refs)]
pub enum PriceClass {
    /// North America and Europe.
    PriceClass100,
    /// Adds Asia, the Middle East and Africa.
    PriceClass200,
    /// Every edge location.
    All,
}

impl PriceClass {
    /// The CloudFront API spelling.
    pub fn as_aws(self) -> &'static str {
        match self {
            PriceClass::PriceClass100 => "PriceClass_100",
            PriceClass::PriceClass200 => "PriceClass_200",
            PriceClass::All => "PriceClass_All",
        }
    }
}

/// The certificate viewers see.
#[derive(Debug, Clone, Serialize, Refs)]
pub enum ViewerCertificate {
    /// `*.cloudfront.net` (no aliases possible).
    CloudFrontDefault,
    /// An ACM certificate in us-east-1 covering the aliases, served with SNI.
    Acm {
        /// The certificate's ARN.
        certificate_arn: Value<String>,
        /// Oldest TLS version accepted, e.g. `TLSv1.2_2021`.
        minimum_protocol_version: String,
    },
}

/// `AWS::CloudFront::Distribution` / `aws_cloudfront_distribution` with one private S3 origin
/// reached through origin access control. Viewers are redirected to HTTPS; only `GET` and
/// `HEAD` are allowed.
#[derive(Debug, Clone, Serialize, Refs)]
pub struct Distribution {
    /// Comment shown in the console.
    pub comment: String,
    /// The bucket's regional domain name.
    pub origin_domain_name: Value<String>,
    /// The origin access control's id.
    pub origin_access_control_id: Value<String>,
    /// Object served for `/`, e.g. `index.html`.
    pub default_root_object: Option<String>,
    /// Cache policy id (e.g. [`CACHING_OPTIMIZED`]).
    pub cache_policy_id: String,
    /// Response headers policy id (e.g. [`SECURITY_HEADERS_POLICY`]).
    pub response_headers_policy_id: Option<String>,
    /// Alternate domain names, e.g. `assets.example.org`.
    pub aliases: Vec<String>,
    /// The certificate.
    pub certificate: ViewerCertificate,
    /// Edge locations.
    pub price_class: PriceClass,
    /// `http2` or `http2and3`.
    pub http_version: String,
    /// Answer over IPv6 too.
    pub ipv6: bool,
}

impl ResourceKind for OriginAccessControl {
    const SPEC: &'static KindSpec = &KindSpec {
        kind: "OriginAccessControl",
        label: "origin access control",
        provider: Provider::Aws,
        cloudformation: Some("AWS::CloudFront::OriginAccessControl"),
        terraform: Some("aws_cloudfront_origin_access_control"),
        attrs: &[by_ref(Attr::Id, "id")],
        naming: Naming::Explicit { max: 64 },
        tagging: Tagging::Untagged("CloudFront origin access controls take no tags"),
        data: Data::None,
        replacement: crate::replace![],
        replacement_notes: &[],
        teardown: 5,
    };
    fn explicit_name(&self) -> Option<&str> {
        self.name.as_deref()
    }
    fn explicit_name_mut(&mut self) -> Option<&mut String> {
        self.name.as_mut()
    }
}

impl ResourceKind for Distribution {
    const SPEC: &'static KindSpec = &KindSpec {
        kind: "Distribution",
        label: "CloudFront distribution",
        provider: Provider::Aws,
        cloudformation: Some("AWS::CloudFront::Distribution"),
        terraform: Some("aws_cloudfront_distribution"),
        attrs: &[
            by_ref(Attr::Id, "id"),
            AttrSpec {
                attr: Attr::Arn,
                cloudformation: CfnAttr::Join(&[
                    JoinPart::Text("arn:"),
                    JoinPart::Pseudo("AWS::Partition"),
                    JoinPart::Text(":cloudfront::"),
                    JoinPart::Pseudo("AWS::AccountId"),
                    JoinPart::Text(":distribution/"),
                    JoinPart::SelfRef,
                ]),
                terraform: "arn",
            },
            get_att(Attr::DnsName, "DomainName", "domain_name"),
            AttrSpec {
                attr: Attr::CanonicalHostedZoneId,
                cloudformation: CfnAttr::Constant(CLOUDFRONT_HOSTED_ZONE_ID),
                terraform: "hosted_zone_id",
            },
        ],
        naming: Naming::Unnamed,
        tagging: Tagging::Property("Tags"),
        data: Data::None,
        replacement: crate::replace![],
        replacement_notes: &[],
        teardown: 3,
    };
    fn unique_dns_names_mut(&mut self) -> Vec<&mut String> {
        // An alias (CNAME) belongs to one distribution across all of AWS.
        self.aliases.iter_mut().collect()
    }
}
