//! `AWS::S3::Bucket`: created (or taken back, see the module docs of [`super`]) and then
//! configured call by call (encryption, public access block, ownership, versioning, lifecycle,
//! tags); an update puts every setting again; a delete retains the bucket.

use aws_sdk_s3::types::{
    AbortIncompleteMultipartUpload, BucketLifecycleConfiguration, BucketLocationConstraint, BucketVersioningStatus,
    CreateBucketConfiguration, ExpirationStatus, LifecycleExpiration, LifecycleRule, LifecycleRuleFilter,
    NoncurrentVersionExpiration, ObjectOwnership, OwnershipControls, OwnershipControlsRule,
    PublicAccessBlockConfiguration, ServerSideEncryption, ServerSideEncryptionByDefault,
    ServerSideEncryptionConfiguration, ServerSideEncryptionRule, Tagging,
};
use iac_core::LogicalId;
use iac_core::model::{self, ResourceEntry};
use serde::Deserialize;
use serde_json::{Value as Json, json};

use super::{Ctx, s3_tags, tag_pairs};
use crate::adapter::{self, Adapter, CfnTag, Desired, SdkKind, de};
use crate::error::AwsError;
use crate::services::{absent_on, code_in};
use crate::state::{self, Observed, Tags};

/// The desired properties of an `AWS::S3::Bucket`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct BucketProps {
    #[serde(default)]
    pub(crate) bucket_name: Option<String>,
    pub(crate) bucket_encryption: BucketEncryption,
    #[serde(default)]
    pub(crate) public_access_block_configuration: Option<PublicAccessBlock>,
    #[serde(default)]
    pub(crate) ownership_controls: Option<Ownership>,
    #[serde(default)]
    pub(crate) versioning_configuration: Option<Versioning>,
    #[serde(default)]
    pub(crate) lifecycle_configuration: Option<Lifecycle>,
    #[serde(default)]
    pub(crate) tags: Vec<CfnTag>,
}

impl Desired for BucketProps {
    fn template_tags(&self) -> Vec<(&str, &str)> {
        adapter::pairs(&self.tags)
    }
}

/// `BucketEncryption`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct BucketEncryption {
    pub(crate) server_side_encryption_configuration: Vec<EncryptionRule>,
}

/// One `ServerSideEncryptionRule`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct EncryptionRule {
    pub(crate) server_side_encryption_by_default: EncryptionByDefault,
    #[serde(default, deserialize_with = "de::opt_bool")]
    pub(crate) bucket_key_enabled: Option<bool>,
}

/// `ServerSideEncryptionByDefault`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EncryptionByDefault {
    #[serde(rename = "SSEAlgorithm")]
    pub(crate) sse_algorithm: String,
    #[serde(rename = "KMSMasterKeyID", default)]
    pub(crate) kms_master_key_id: Option<String>,
}

/// `PublicAccessBlockConfiguration`.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
#[allow(clippy::struct_excessive_bools)] // the four switches of S3
pub struct PublicAccessBlock {
    #[serde(default, deserialize_with = "de::boolean")]
    pub(crate) block_public_acls: bool,
    #[serde(default, deserialize_with = "de::boolean")]
    pub(crate) block_public_policy: bool,
    #[serde(default, deserialize_with = "de::boolean")]
    pub(crate) ignore_public_acls: bool,
    #[serde(default, deserialize_with = "de::boolean")]
    pub(crate) restrict_public_buckets: bool,
}

/// `OwnershipControls`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct Ownership {
    pub(crate) rules: Vec<OwnershipRule>,
}

/// One ownership rule.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct OwnershipRule {
    pub(crate) object_ownership: String,
}

/// `VersioningConfiguration`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct Versioning {
    pub(crate) status: String,
}

/// `LifecycleConfiguration`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct Lifecycle {
    pub(crate) rules: Vec<Rule>,
}

/// One lifecycle rule, as the renderer writes it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct Rule {
    pub(crate) id: String,
    pub(crate) status: String,
    #[serde(default)]
    pub(crate) prefix: Option<String>,
    #[serde(default, deserialize_with = "de::opt_int")]
    pub(crate) expiration_in_days: Option<i32>,
    #[serde(default)]
    pub(crate) noncurrent_version_expiration: Option<NoncurrentDays>,
    #[serde(default)]
    pub(crate) abort_incomplete_multipart_upload: Option<AbortDays>,
}

/// `NoncurrentVersionExpiration`.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct NoncurrentDays {
    #[serde(deserialize_with = "de::int")]
    pub(crate) noncurrent_days: i32,
}

/// `AbortIncompleteMultipartUpload`.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct AbortDays {
    #[serde(deserialize_with = "de::int")]
    pub(crate) days_after_initiation: i32,
}

impl Adapter for model::Bucket {
    type Props = BucketProps;

    /// Creates the bucket (or takes back the one of that name this stack retained or half
    /// made), puts every setting, then the tags with the hash.
    async fn create(
        ctx: &Ctx<'_>,
        entry: &ResourceEntry,
        props: &BucketProps,
        tags: &Tags,
    ) -> Result<Observed, AwsError> {
        let name = bucket_name(ctx, &entry.id, props);
        create_bucket(ctx, &entry.id, &name).await?;
        configure(ctx, &entry.id, &name, props, tags).await?;
        read_bucket(ctx, &entry.id, &name).await
    }

    /// Puts every setting again (each is one idempotent call) and the tags.
    async fn update(
        ctx: &Ctx<'_>,
        entry: &ResourceEntry,
        current: &Observed,
        props: &BucketProps,
        tags: &Tags,
    ) -> Result<Observed, AwsError> {
        configure(ctx, &entry.id, &current.physical_id, props, tags).await?;
        read_bucket(ctx, &entry.id, &current.physical_id).await
    }

    /// Retains the bucket: never emptied, never deleted; detached from the stack.
    async fn delete(ctx: &Ctx<'_>, current: &Observed) -> Result<(), AwsError> {
        let (id, name) = (current.id.as_str(), current.physical_id.as_str());
        let Some(tags) = read_tags(ctx, id, name).await? else { return Ok(()) };
        let kept = state::retained_tags(&tags, ctx.stack.name(), ctx.stack.env(), id);
        put_tags(ctx, id, name, &kept).await
    }
}

/// The name of the bucket: the template's, or one derived from the stack (see the module docs).
pub(crate) fn bucket_name(ctx: &Ctx<'_>, id: &LogicalId, props: &BucketProps) -> String {
    props.bucket_name.clone().unwrap_or_else(|| derived_name(ctx, id))
}

fn derived_name(ctx: &Ctx<'_>, id: &LogicalId) -> String {
    let seed = format!("{}/{}/{id}/{}", ctx.stack.name(), ctx.stack.env(), ctx.clients.region);
    format!("{}-{:08x}", ctx.stack.physical_name(id, 54), iac_core::naming::fnv1a(seed.as_bytes())).to_lowercase()
}

async fn create_bucket(ctx: &Ctx<'_>, id: &LogicalId, name: &str) -> Result<(), AwsError> {
    let s3 = &ctx.clients.s3;
    let config = (ctx.clients.region != "us-east-1").then(|| {
        CreateBucketConfiguration::builder()
            .location_constraint(BucketLocationConstraint::from(ctx.clients.region.as_str()))
            .build()
    });
    let created = ctx
        .retry(id.as_str(), "s3:CreateBucket", &[], || async {
            match s3.create_bucket().bucket(name).set_create_bucket_configuration(config.clone()).send().await {
                Ok(_) => Ok(()),
                // Ours already: a create cut off before its tags, or a bucket this stack retained.
                Err(e) if code_in(&e, &["BucketAlreadyOwnedByYou"]) => Ok(()),
                Err(e) => Err(e),
            }
        })
        .await;
    created?;
    // In us-east-1 creating a bucket one owns already succeeds: check whose it is either way.
    let tags = read_tags(ctx, id.as_str(), name).await?.unwrap_or_default();
    state::claimable(&tags, ctx.stack.name(), ctx.stack.env(), id.as_str()).map_err(|who| {
        ctx.fail(
            id.as_str(),
            "s3:CreateBucket",
            format!("bucket `{name}` exists in this account and is {who}; give this bucket another name"),
        )
    })
}

#[allow(clippy::too_many_lines)] // one call per setting, in order
async fn configure(
    ctx: &Ctx<'_>,
    id: &LogicalId,
    name: &str,
    props: &BucketProps,
    tags: &Tags,
) -> Result<(), AwsError> {
    let s3 = &ctx.clients.s3;
    let ids = id.as_str();
    let fail = |action: &str, e: &dyn std::fmt::Display| ctx.fail(ids, action, e);

    // Encryption.
    let mut rules = Vec::new();
    for r in &props.bucket_encryption.server_side_encryption_configuration {
        let by_default = ServerSideEncryptionByDefault::builder()
            .sse_algorithm(ServerSideEncryption::from(r.server_side_encryption_by_default.sse_algorithm.as_str()))
            .set_kms_master_key_id(r.server_side_encryption_by_default.kms_master_key_id.clone())
            .build()
            .map_err(|e| fail("s3:PutBucketEncryption", &e))?;
        rules.push(
            ServerSideEncryptionRule::builder()
                .apply_server_side_encryption_by_default(by_default)
                .set_bucket_key_enabled(r.bucket_key_enabled)
                .build(),
        );
    }
    let encryption = ServerSideEncryptionConfiguration::builder()
        .set_rules(Some(rules))
        .build()
        .map_err(|e| fail("s3:PutBucketEncryption", &e))?;
    ctx.retry(ids, "s3:PutBucketEncryption", &["NoSuchBucket"], || {
        s3.put_bucket_encryption().bucket(name).server_side_encryption_configuration(encryption.clone()).send()
    })
    .await?;

    // Public access block.
    match props.public_access_block_configuration {
        Some(b) => {
            let block = PublicAccessBlockConfiguration::builder()
                .block_public_acls(b.block_public_acls)
                .block_public_policy(b.block_public_policy)
                .ignore_public_acls(b.ignore_public_acls)
                .restrict_public_buckets(b.restrict_public_buckets)
                .build();
            ctx.retry(ids, "s3:PutPublicAccessBlock", &["NoSuchBucket"], || {
                s3.put_public_access_block().bucket(name).public_access_block_configuration(block.clone()).send()
            })
            .await?;
        }
        None => {
            ctx.retry(ids, "s3:DeletePublicAccessBlock", &["NoSuchBucket"], || {
                s3.delete_public_access_block().bucket(name).send()
            })
            .await?;
        }
    }

    // Ownership controls.
    if let Some(o) = &props.ownership_controls {
        let rules = o
            .rules
            .iter()
            .map(|r| {
                OwnershipControlsRule::builder()
                    .object_ownership(ObjectOwnership::from(r.object_ownership.as_str()))
                    .build()
                    .map_err(|e| fail("s3:PutBucketOwnershipControls", &e))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let controls = OwnershipControls::builder()
            .set_rules(Some(rules))
            .build()
            .map_err(|e| fail("s3:PutBucketOwnershipControls", &e))?;
        ctx.retry(ids, "s3:PutBucketOwnershipControls", &["NoSuchBucket"], || {
            s3.put_bucket_ownership_controls().bucket(name).ownership_controls(controls.clone()).send()
        })
        .await?;
    }

    // Versioning, always put (`Suspended` on a bucket that never had it is what it reads back).
    if let Some(v) = &props.versioning_configuration {
        let config = aws_sdk_s3::types::VersioningConfiguration::builder()
            .status(BucketVersioningStatus::from(v.status.as_str()))
            .build();
        ctx.retry(ids, "s3:PutBucketVersioning", &["NoSuchBucket"], || {
            s3.put_bucket_versioning().bucket(name).versioning_configuration(config.clone()).send()
        })
        .await?;
    }

    // Lifecycle.
    match props.lifecycle_configuration.as_ref().filter(|l| !l.rules.is_empty()) {
        Some(l) => {
            let rules = l
                .rules
                .iter()
                .map(|r| lifecycle_rule(r).map_err(|e| fail("s3:PutBucketLifecycleConfiguration", &e)))
                .collect::<Result<Vec<_>, _>>()?;
            let config = BucketLifecycleConfiguration::builder()
                .set_rules(Some(rules))
                .build()
                .map_err(|e| fail("s3:PutBucketLifecycleConfiguration", &e))?;
            ctx.retry(ids, "s3:PutBucketLifecycleConfiguration", &["NoSuchBucket"], || {
                s3.put_bucket_lifecycle_configuration().bucket(name).lifecycle_configuration(config.clone()).send()
            })
            .await?;
        }
        None => {
            ctx.retry(ids, "s3:DeleteBucketLifecycle", &["NoSuchBucket"], || {
                s3.delete_bucket_lifecycle().bucket(name).send()
            })
            .await?;
        }
    }

    // Tags last, with the hash: a bucket cut off before this point is configured again.
    put_tags(ctx, ids, name, tags).await
}

fn lifecycle_rule(r: &Rule) -> Result<LifecycleRule, aws_smithy_types::error::operation::BuildError> {
    let filter = LifecycleRuleFilter::builder().prefix(r.prefix.clone().unwrap_or_default()).build();
    LifecycleRule::builder()
        .id(&r.id)
        .status(ExpirationStatus::from(r.status.as_str()))
        .filter(filter)
        .set_expiration(r.expiration_in_days.map(|d| LifecycleExpiration::builder().days(d).build()))
        .set_noncurrent_version_expiration(
            r.noncurrent_version_expiration
                .map(|n| NoncurrentVersionExpiration::builder().noncurrent_days(n.noncurrent_days).build()),
        )
        .set_abort_incomplete_multipart_upload(
            r.abort_incomplete_multipart_upload.map(|a| {
                AbortIncompleteMultipartUpload::builder().days_after_initiation(a.days_after_initiation).build()
            }),
        )
        .build()
}

/// Replaces the bucket's tag set with `tags`.
pub(super) async fn put_tags(ctx: &Ctx<'_>, id: &str, name: &str, tags: &Tags) -> Result<(), AwsError> {
    let s3 = &ctx.clients.s3;
    let tagging = Tagging::builder()
        .set_tag_set(Some(s3_tags(ctx, id, tags)?))
        .build()
        .map_err(|e| ctx.fail(id, "s3:PutBucketTagging", e))?;
    ctx.retry(id, "s3:PutBucketTagging", &["NoSuchBucket"], || {
        s3.put_bucket_tagging().bucket(name).tagging(tagging.clone()).send()
    })
    .await
    .map(drop)
}

/// The bucket's tags (empty when it has none); `None` when the bucket does not exist.
pub(super) async fn read_tags(ctx: &Ctx<'_>, id: &str, name: &str) -> Result<Option<Tags>, AwsError> {
    let s3 = &ctx.clients.s3;
    let out = ctx
        .retry(id, "s3:GetBucketTagging", &[], || async {
            match s3.get_bucket_tagging().bucket(name).send().await {
                Ok(o) => Ok(Some(tag_pairs(o.tag_set()))),
                Err(e) if code_in(&e, &["NoSuchTagSet"]) => Ok(Some(Vec::new())),
                Err(e) if code_in(&e, &["NoSuchBucket"]) => Ok(None),
                Err(e) => Err(e),
            }
        })
        .await?;
    Ok(out)
}

/// Reads every setting of bucket `name` back in CloudFormation's shape.
pub(crate) async fn read_bucket(ctx: &Ctx<'_>, id: &LogicalId, name: &str) -> Result<Observed, AwsError> {
    let s3 = &ctx.clients.s3;
    let ids = id.as_str();
    let encryption = ctx
        .retry(ids, "s3:GetBucketEncryption", &[], || async {
            absent_on(
                s3.get_bucket_encryption().bucket(name).send().await,
                &["ServerSideEncryptionConfigurationNotFoundError"],
            )
        })
        .await?;
    let block = ctx
        .retry(ids, "s3:GetPublicAccessBlock", &[], || async {
            absent_on(s3.get_public_access_block().bucket(name).send().await, &["NoSuchPublicAccessBlockConfiguration"])
        })
        .await?;
    let ownership = ctx
        .retry(ids, "s3:GetBucketOwnershipControls", &[], || async {
            absent_on(s3.get_bucket_ownership_controls().bucket(name).send().await, &["OwnershipControlsNotFoundError"])
        })
        .await?;
    let versioning = ctx
        .retry(ids, "s3:GetBucketVersioning", &[], || async {
            match s3.get_bucket_versioning().bucket(name).send().await {
                Ok(o) => Ok(Some(o)),
                // Moto's answer, which the SDK cannot parse (see the module docs).
                Err(e) if unparsable(&e) => Ok(None),
                Err(e) => Err(e),
            }
        })
        .await?;
    let lifecycle = ctx
        .retry(ids, "s3:GetBucketLifecycleConfiguration", &[], || async {
            absent_on(
                s3.get_bucket_lifecycle_configuration().bucket(name).send().await,
                &["NoSuchLifecycleConfiguration"],
            )
        })
        .await?;
    let tags = read_tags(ctx, ids, name).await?.unwrap_or_default();

    let region = &ctx.clients.region;
    let mut o = Observed::new(id.clone(), SdkKind::Bucket.cfn_type(), name)
        .attr("Arn", format!("arn:aws:s3:::{name}"))
        .attr("DomainName", format!("{name}.s3.amazonaws.com"))
        .attr("RegionalDomainName", format!("{name}.s3.{region}.amazonaws.com"));
    // A derived name is one the template does not give (`null`: absent).
    o = o.prop("BucketName", if name == derived_name(ctx, id) { Json::Null } else { json!(name) });
    o = o.prop("BucketEncryption", Json::Null);
    o = o.prop("PublicAccessBlockConfiguration", Json::Null);
    o = o.prop("OwnershipControls", Json::Null);
    o = o.prop("LifecycleConfiguration", Json::Null);
    if let Some(e) = encryption {
        let rules: Vec<Json> = e
            .server_side_encryption_configuration()
            .map(ServerSideEncryptionConfiguration::rules)
            .unwrap_or_default()
            .iter()
            .map(|r| {
                let d = r.apply_server_side_encryption_by_default();
                let mut by_default = json!({ "SSEAlgorithm": d.map(|d| d.sse_algorithm().as_str()).unwrap_or_default() });
                if let Some(k) = d.and_then(|d| d.kms_master_key_id()) {
                    by_default["KMSMasterKeyID"] = json!(k);
                }
                json!({ "ServerSideEncryptionByDefault": by_default, "BucketKeyEnabled": r.bucket_key_enabled().unwrap_or(false) })
            })
            .collect();
        o = o.prop("BucketEncryption", json!({ "ServerSideEncryptionConfiguration": rules }));
    }
    if let Some(b) = block.as_ref().and_then(|b| b.public_access_block_configuration()) {
        o = o.prop(
            "PublicAccessBlockConfiguration",
            json!({
                "BlockPublicAcls": b.block_public_acls().unwrap_or(false),
                "BlockPublicPolicy": b.block_public_policy().unwrap_or(false),
                "IgnorePublicAcls": b.ignore_public_acls().unwrap_or(false),
                "RestrictPublicBuckets": b.restrict_public_buckets().unwrap_or(false),
            }),
        );
    }
    if let Some(c) = ownership.as_ref().and_then(|c| c.ownership_controls()) {
        let rules: Vec<Json> =
            c.rules().iter().map(|r| json!({ "ObjectOwnership": r.object_ownership().as_str() })).collect();
        o = o.prop("OwnershipControls", json!({ "Rules": rules }));
    }
    if let Some(v) = versioning {
        let status = v.status().map_or("Suspended", BucketVersioningStatus::as_str);
        o = o.prop("VersioningConfiguration", json!({ "Status": status }));
    }
    if let Some(l) = lifecycle.filter(|l| !l.rules().is_empty()) {
        let rules: Vec<Json> = l.rules().iter().map(rule_json).collect();
        o = o.prop("LifecycleConfiguration", json!({ "Rules": rules }));
    }
    o.hash = state::hash_of(&tags);
    Ok(o)
}

/// An answer of the wrong XML root that the SDK could not decode (moto's `GetBucketVersioning`;
/// AWS always answers in the documented shape).
fn unparsable<E, R>(e: &aws_smithy_runtime_api::client::result::SdkError<E, R>) -> bool
where
    E: std::error::Error + aws_smithy_types::error::metadata::ProvideErrorMetadata + 'static,
    R: std::fmt::Debug,
{
    e.as_service_error().is_some_and(|se| {
        se.code().is_none()
            && aws_smithy_types::error::display::DisplayErrorContext(se).to_string().contains("invalid XML root")
    })
}

/// A lifecycle rule in the renderer's shape (a prefix in `Filter` or, legacy, on the rule).
fn rule_json(r: &LifecycleRule) -> Json {
    let mut o = json!({ "Id": r.id().unwrap_or_default(), "Status": r.status().as_str() });
    #[allow(deprecated)] // rules written by other tools may carry the legacy top-level prefix
    let prefix = r.filter().and_then(LifecycleRuleFilter::prefix).or(r.prefix()).unwrap_or_default();
    if !prefix.is_empty() {
        o["Prefix"] = json!(prefix);
    }
    if let Some(d) = r.expiration().and_then(LifecycleExpiration::days) {
        o["ExpirationInDays"] = json!(d);
    }
    if let Some(d) = r.noncurrent_version_expiration().and_then(NoncurrentVersionExpiration::noncurrent_days) {
        o["NoncurrentVersionExpiration"] = json!({ "NoncurrentDays": d });
    }
    if let Some(d) =
        r.abort_incomplete_multipart_upload().and_then(AbortIncompleteMultipartUpload::days_after_initiation)
    {
        o["AbortIncompleteMultipartUpload"] = json!({ "DaysAfterInitiation": d });
    }
    o
}

/// Every bucket of this region whose tags name this stack and environment.
pub(super) async fn discover_buckets(ctx: &Ctx<'_>) -> Result<Vec<Observed>, AwsError> {
    let s3 = &ctx.clients.s3;
    let region = ctx.clients.region.clone();
    let mut names = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let t = token.clone();
        let out = ctx
            .retry("-", "s3:ListBuckets", &[], || {
                s3.list_buckets().bucket_region(region.clone()).set_continuation_token(t.clone()).send()
            })
            .await?;
        names.extend(out.buckets().iter().filter_map(|b| b.name().map(str::to_owned)));
        token = out.continuation_token().filter(|t| !t.is_empty()).map(str::to_owned);
        if token.is_none() {
            break;
        }
    }
    let mut found = Vec::new();
    for name in names {
        let Some(tags) = read_tags(ctx, "-", &name).await? else { continue };
        if let Some((id, _)) = ctx.ours(&tags) {
            found.push(read_bucket(ctx, &id, &name).await?);
        }
    }
    Ok(found)
}
