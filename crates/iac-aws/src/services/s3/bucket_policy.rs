//! `AWS::S3::BucketPolicy`: put, read and deleted through its bucket (`PutBucketPolicy`,
//! `GetBucketPolicy`, `DeleteBucketPolicy`); its physical id is the bucket's name. A changed
//! document is put again in place; another bucket replaces it.

use std::collections::{BTreeMap, HashMap};

use iac_core::LogicalId;
use iac_core::model::{self, Resource, ResourceEntry};
use serde::Deserialize;
use serde_json::Value as Json;

use super::Ctx;
use crate::adapter::{Adapter, Desired, SdkKind, de};
use crate::desired::{self, Facts};
use crate::error::AwsError;
use crate::services::code_in;
use crate::state::{Observed, Tags};

/// The desired properties of an `AWS::S3::BucketPolicy`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct BucketPolicyProps {
    #[serde(deserialize_with = "de::text")]
    pub(crate) bucket: String,
    pub(crate) policy_document: Json,
}

impl Desired for BucketPolicyProps {}

impl Adapter for model::BucketPolicy {
    type Props = BucketPolicyProps;

    async fn create(
        ctx: &Ctx<'_>,
        entry: &ResourceEntry,
        props: &BucketPolicyProps,
        _: &Tags,
    ) -> Result<Observed, AwsError> {
        put_policy(ctx, &entry.id, props).await
    }

    /// The document is put again (the bucket cannot change: that replaces the policy).
    async fn update(
        ctx: &Ctx<'_>,
        entry: &ResourceEntry,
        _: &Observed,
        props: &BucketPolicyProps,
        _: &Tags,
    ) -> Result<Observed, AwsError> {
        put_policy(ctx, &entry.id, props).await
    }

    async fn delete(ctx: &Ctx<'_>, current: &Observed) -> Result<(), AwsError> {
        let s3 = &ctx.clients.s3;
        let bucket = current.physical_id.as_str();
        ctx.retry(current.id.as_str(), "s3:DeleteBucketPolicy", &[], || async {
            match s3.delete_bucket_policy().bucket(bucket).send().await {
                Ok(_) => Ok(()),
                Err(e) if code_in(&e, &["NoSuchBucket", "NoSuchBucketPolicy"]) => Ok(()),
                Err(e) => Err(e),
            }
        })
        .await
    }
}

async fn put_policy(ctx: &Ctx<'_>, id: &LogicalId, props: &BucketPolicyProps) -> Result<Observed, AwsError> {
    let s3 = &ctx.clients.s3;
    let document = props.policy_document.to_string();
    let bucket = props.bucket.as_str();
    // A bucket just made can take a moment to be seen everywhere.
    ctx.retry(id.as_str(), "s3:PutBucketPolicy", &["NoSuchBucket"], || {
        s3.put_bucket_policy().bucket(bucket).policy(document.clone()).send()
    })
    .await?;
    read_policy(ctx, id, bucket).await?.ok_or_else(|| {
        ctx.fail(id.as_str(), "s3:GetBucketPolicy", format!("bucket `{bucket}` has no policy right after it was put"))
    })
}

/// The policy of `bucket`, as the resource `id`; `None` when the bucket or its policy is absent.
async fn read_policy(ctx: &Ctx<'_>, id: &LogicalId, bucket: &str) -> Result<Option<Observed>, AwsError> {
    let s3 = &ctx.clients.s3;
    let out = ctx
        .retry(id.as_str(), "s3:GetBucketPolicy", &[], || async {
            match s3.get_bucket_policy().bucket(bucket).send().await {
                Ok(o) => Ok(Some(o)),
                Err(e) if code_in(&e, &["NoSuchBucket", "NoSuchBucketPolicy"]) => Ok(None),
                Err(e) => Err(e),
            }
        })
        .await?;
    let Some(text) = out.and_then(|o| o.policy().map(str::to_owned)) else { return Ok(None) };
    let document: Json = serde_json::from_str(&text).map_err(|e| {
        ctx.fail(id.as_str(), "s3:GetBucketPolicy", format!("the policy of bucket `{bucket}` is not JSON: {e}"))
    })?;
    Ok(Some(
        Observed::new(id.clone(), SdkKind::BucketPolicy.cfn_type(), bucket)
            .prop("Bucket", bucket)
            .prop("PolicyDocument", document),
    ))
}

/// The policies of the stack's policy entries, each found through its bucket: the entry's
/// `Bucket` property resolved against the buckets just discovered (or given as a name).
pub(super) async fn discover_policies(ctx: &Ctx<'_>, buckets: &[Observed]) -> Result<Vec<Observed>, AwsError> {
    let template = iac_render::cloudformation::template(ctx.stack)?;
    let observed: HashMap<LogicalId, Observed> = buckets.iter().map(|o| (o.id.clone(), o.clone())).collect();
    let params = BTreeMap::new();
    let facts = Facts {
        stack: ctx.stack,
        params: &params,
        region: &ctx.clients.region,
        account: None,
        zones: &[],
        observed: &observed,
    };
    let mut out = Vec::new();
    for e in ctx.stack.resources().filter(|e| matches!(e.resource, Resource::BucketPolicy(_))) {
        let id = e.id.as_str();
        let bucket = &template["Resources"][id]["Properties"]["Bucket"];
        // A bucket that does not exist (yet) has no policy.
        let Ok(Json::String(name)) = desired::resolve(&facts, id, bucket, true) else { continue };
        out.extend(read_policy(ctx, &e.id, &name).await?);
    }
    Ok(out)
}
