//! S3 buckets and bucket policies.

use serde::Serialize;

use crate::model::spec::prelude::*;
use crate::value::{Refs, Value};

/// Default encryption of new objects.
#[derive(Debug, Clone, Serialize, Refs)]
pub enum BucketEncryption {
    /// SSE-S3 (`AES256`): the only kind CloudFront origin access control reads without a key
    /// policy of its own.
    S3Managed,
    /// SSE-KMS with a bucket key; the AWS-managed `aws/s3` key when `key_id` is absent.
    Kms {
        /// A customer-managed key's id or ARN.
        key_id: Option<Value<String>>,
    },
}

/// Who owns objects written by other accounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Refs)]
pub enum ObjectOwnership {
    /// The bucket owner owns every object and ACLs are off (the recommended setting).
    BucketOwnerEnforced,
    /// The bucket owner owns objects written with `bucket-owner-full-control`.
    BucketOwnerPreferred,
    /// The writer owns its objects (ACLs on).
    ObjectWriter,
}

impl ObjectOwnership {
    /// The S3 API spelling.
    pub fn as_aws(self) -> &'static str {
        match self {
            ObjectOwnership::BucketOwnerEnforced => "BucketOwnerEnforced",
            ObjectOwnership::BucketOwnerPreferred => "BucketOwnerPreferred",
            ObjectOwnership::ObjectWriter => "ObjectWriter",
        }
    }
}

/// One lifecycle rule, for the objects under a prefix.
#[derive(Debug, Clone, Serialize, Refs)]
pub struct LifecycleRule {
    /// The rule's id, unique in the bucket.
    pub id: String,
    /// Key prefix, e.g. `export/` (empty: the whole bucket).
    pub prefix: String,
    /// Days after creation when current objects expire.
    pub expiration_days: Option<u32>,
    /// Days after which noncurrent versions are deleted (versioned buckets).
    pub noncurrent_expiration_days: Option<u32>,
    /// Days after which unfinished multipart uploads are aborted.
    pub abort_incomplete_upload_days: Option<u32>,
}

/// `AWS::S3::Bucket` / `aws_s3_bucket` plus its encryption, public access block, versioning,
/// ownership controls and lifecycle (separate resources in Terraform).
#[derive(Debug, Clone, Serialize, Refs)]
pub struct Bucket {
    /// The bucket's name (global). When absent, CloudFormation generates a unique one and
    /// Terraform uses a `<stack>-<env>-<id>-` prefix.
    pub name: Option<String>,
    /// Default encryption (validation requires one; the type has no "off").
    pub encryption: BucketEncryption,
    /// Block every kind of public access (all four settings; validation requires it).
    pub block_public_access: bool,
    /// Keep object versions.
    pub versioning: bool,
    /// Object ownership.
    pub object_ownership: ObjectOwnership,
    /// Lifecycle rules.
    pub lifecycle_rules: Vec<LifecycleRule>,
}

/// Who a bucket policy statement is about.
#[derive(Debug, Clone, Serialize, Refs)]
pub enum Principal {
    /// Everyone (`*`), for deny statements.
    Any,
    /// An AWS service, e.g. `cloudfront.amazonaws.com`.
    Service(String),
    /// An account or role ARN.
    Aws(Value<String>),
}

/// One condition of a policy statement, e.g. `StringEquals` `AWS:SourceArn` = a distribution.
#[derive(Debug, Clone, Serialize, Refs)]
pub struct Condition {
    /// The operator, e.g. `StringEquals` or `Bool`.
    pub operator: String,
    /// The condition key, e.g. `AWS:SourceArn`.
    pub key: String,
    /// Accepted values.
    pub values: Vec<Value<String>>,
}

/// One statement of a bucket policy.
#[derive(Debug, Clone, Serialize, Refs)]
pub struct PolicyStatement {
    /// Statement id.
    pub sid: String,
    /// `Allow` when true, `Deny` otherwise.
    pub allow: bool,
    /// Who.
    pub principal: Principal,
    /// Actions, e.g. `s3:GetObject`.
    pub actions: Vec<String>,
    /// Bucket or object ARNs.
    pub resources: Vec<Value<String>>,
    /// Conditions (all must hold).
    pub conditions: Vec<Condition>,
}

impl PolicyStatement {
    /// Lets CloudFront distribution `distribution_arn` read the objects of `bucket_arn` through
    /// origin access control (and nothing else, and no other distribution).
    pub fn cloudfront_read(bucket_arn: Value<String>, distribution_arn: Value<String>) -> Self {
        Self {
            sid: "AllowCloudFrontRead".into(),
            allow: true,
            principal: Principal::Service("cloudfront.amazonaws.com".into()),
            actions: vec!["s3:GetObject".into()],
            resources: vec![Value::join([bucket_arn, Value::from("/*")])],
            conditions: vec![Condition {
                operator: "StringEquals".into(),
                key: "AWS:SourceArn".into(),
                values: vec![distribution_arn],
            }],
        }
    }

    /// Refuses every request that does not use TLS.
    pub fn deny_insecure_transport(bucket_arn: Value<String>) -> Self {
        Self {
            sid: "DenyInsecureTransport".into(),
            allow: false,
            principal: Principal::Any,
            actions: vec!["s3:*".into()],
            resources: vec![bucket_arn.clone(), Value::join([bucket_arn, Value::from("/*")])],
            conditions: vec![Condition {
                operator: "Bool".into(),
                key: "aws:SecureTransport".into(),
                values: vec![Value::from("false")],
            }],
        }
    }
}

/// `AWS::S3::BucketPolicy` / `aws_s3_bucket_policy`.
#[derive(Debug, Clone, Serialize, Refs)]
pub struct BucketPolicy {
    /// The bucket's name.
    pub bucket: Value<String>,
    /// Statements.
    pub statements: Vec<PolicyStatement>,
}

impl ResourceKind for Bucket {
    const SPEC: &'static KindSpec = &KindSpec {
        kind: "Bucket",
        label: "S3 bucket",
        provider: Provider::Aws,
        cloudformation: Some("AWS::S3::Bucket"),
        terraform: Some("aws_s3_bucket"),
        attrs: &[
            by_ref(Attr::Name, "bucket"),
            get_att(Attr::Arn, "Arn", "arn"),
            get_att(Attr::RegionalDomainName, "RegionalDomainName", "bucket_regional_domain_name"),
        ],
        naming: Naming::GivenOnly { max: 63 },
        tagging: Tagging::Property("Tags"),
        data: Data::Holds { keep: Keep::Retain },
        replacement: crate::replace!["BucketName": "a bucket keeps its name for life", "BucketNamePrefix", "BucketNamespace"],
        replacement_notes: &[],
        teardown: 9,
    };
    fn explicit_name(&self) -> Option<&str> {
        self.name.as_deref()
    }
    fn explicit_name_mut(&mut self) -> Option<&mut String> {
        self.name.as_mut()
    }
}

impl ResourceKind for BucketPolicy {
    const SPEC: &'static KindSpec = &KindSpec {
        kind: "BucketPolicy",
        label: "bucket policy",
        provider: Provider::Aws,
        cloudformation: Some("AWS::S3::BucketPolicy"),
        terraform: Some("aws_s3_bucket_policy"),
        attrs: &[],
        naming: Naming::Unnamed,
        tagging: Tagging::Untagged("a bucket policy takes no tags"),
        data: Data::None,
        replacement: crate::replace!["Bucket"],
        replacement_notes: &[],
        teardown: 4,
    };
}
