//! S3: `AWS::S3::Bucket` and `AWS::S3::BucketPolicy`.
//!
//! One file per kind (its desired properties, its [`Adapter`](crate::adapter::Adapter) and its
//! calls); this file holds what they share and discovery.
//!
//! # State and discovery
//!
//! A bucket carries the stack's tags as its bucket tagging: discovery lists the buckets of the
//! region (`ListBuckets` with `BucketRegion`), reads each one's tags and keeps those whose `iac:*`
//! tags name this stack and environment. A bucket policy takes no tags: it is found through its
//! bucket, by resolving the `Bucket` property of each policy entry of the stack against the
//! buckets just found and reading that bucket's policy.
//!
//! # Names
//!
//! A bucket keeps the name the template gives (`BucketName`). Without one, CloudFormation makes
//! up a unique name; the SDK path derives `<stack>-<env>-<id>-<8 hex>` (the hex a hash of stack,
//! environment, id and region, so every run derives the same name) and then reads back no
//! `BucketName` (the template has none to compare with).
//!
//! # Data safety: a bucket is retained, never emptied
//!
//! A bucket holds data and its kind's spec keeps it (`Keep::Retain`, rendered as CloudFormation's
//! `DeletionPolicy: Retain`): the engine refuses to replace or delete one without
//! `--allow-data-loss`, and with the flag the bucket is still never emptied nor deleted. Its
//! delete detaches it, as CloudFormation does on a stack delete: the ownership tags go
//! (`iac:stack`, `iac:env`, `iac:id`, `iac:hash`) and `iac:retained` = `<stack>/<env>/<id>`
//! comes, so discovery no longer sees it, and `destroy` names it among what it kept. Creating the
//! same bucket again (same name) takes it back: `CreateBucket` answers that the caller owns it
//! already (`BucketAlreadyOwnedByYou`, or success in us-east-1), and a bucket that is untagged,
//! ours, or retained by this stack, environment and id is adopted and configured; one that
//! belongs to another stack is refused. The same path finishes a create cut off between
//! `CreateBucket` and the tagging.
//!
//! Deleting a policy deletes it (`DeleteBucketPolicy`); destroy deletes policies before buckets.
//!
//! # Local moto server
//!
//! Moto answers `GetBucketVersioning` under the root `GetBucketVersioningResponse` (AWS:
//! `VersioningConfiguration`), which the SDK cannot parse: there the versioning status is put
//! but not read back (left out of what is read, never guessed), so its drift is not seen on
//! moto. The status is always put, `Suspended` included.

use aws_sdk_s3::types::Tag;
use iac_core::model::Resource;

use super::Ctx;
use crate::error::AwsError;
use crate::state::{Observed, Tags};

pub mod bucket;
pub mod bucket_policy;

/// Every bucket and bucket policy that belongs to this stack and environment.
pub async fn discover(ctx: &Ctx<'_>) -> Result<Vec<Observed>, AwsError> {
    let buckets = bucket::discover_buckets(ctx).await?;
    let has_policies = ctx.stack.resources().any(|e| matches!(e.resource, Resource::BucketPolicy(_)));
    let policies = if has_policies { bucket_policy::discover_policies(ctx, &buckets).await? } else { Vec::new() };
    let mut out = buckets;
    out.extend(policies);
    Ok(out)
}

/// S3 tags as our [`Tags`].
fn tag_pairs(tags: &[Tag]) -> Tags {
    tags.iter().map(|t| (t.key().to_owned(), t.value().to_owned())).collect()
}

/// Our [`Tags`] as S3 tags.
fn s3_tags(ctx: &Ctx<'_>, id: &str, tags: &Tags) -> Result<Vec<Tag>, AwsError> {
    tags.iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build().map_err(|e| ctx.fail(id, "s3:PutBucketTagging", e)))
        .collect()
}
