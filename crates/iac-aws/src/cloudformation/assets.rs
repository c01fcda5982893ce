//! The assets bucket: where nested templates, and templates too big to pass inline (51,200
//! bytes), are uploaded for CloudFormation to read. One bucket per account and region, created
//! and owned by the tool (`iac-assets-<account>-<region>`): encrypted (SSE-S3), public access
//! blocked, objects expired after [`EXPIRE_DAYS`] days (CloudFormation reads a template only while
//! it creates or updates a stack), tagged. Keys are the SHA-256 of the body, so an unchanged
//! template is found with `HeadObject` and never uploaded twice.

use std::time::{Duration, SystemTime};

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    AbortIncompleteMultipartUpload, BucketLifecycleConfiguration, BucketLocationConstraint, CreateBucketConfiguration,
    ExpirationStatus, LifecycleExpiration, LifecycleRule, LifecycleRuleFilter, PublicAccessBlockConfiguration,
    ServerSideEncryption, ServerSideEncryptionByDefault, ServerSideEncryptionConfiguration, ServerSideEncryptionRule,
    Tag, Tagging,
};
use sha2::{Digest, Sha256};

use crate::error::AwsError;
use crate::services::Ctx;

/// The largest template CloudFormation takes inline (`TemplateBody`).
pub const INLINE_LIMIT: usize = 51_200;

/// Days after which the bucket's lifecycle rule expires an object.
pub const EXPIRE_DAYS: i32 = 30;

/// An object older than this is uploaded again (which renews it) rather than reused, so that
/// it cannot expire between the check and CloudFormation reading it.
const REFRESH_AFTER: Duration = Duration::from_secs(60 * 60 * 24 * (EXPIRE_DAYS as u64 - 2));

/// The bucket's name for an account and region.
pub fn bucket_name(account: &str, region: &str) -> String {
    format!("iac-assets-{account}-{region}")
}

/// The content address of a body: `templates/<sha256>.json`.
pub fn key_of(body: &[u8]) -> String {
    let digest = Sha256::digest(body);
    let hex = digest.iter().fold(String::with_capacity(64), |mut out, b| {
        use std::fmt::Write as _;
        let _ = write!(out, "{b:02x}");
        out
    });
    format!("templates/{hex}.json")
}

/// What the uploads of one plan did.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Uploads {
    /// Templates uploaded.
    pub uploaded: usize,
    /// Templates already in the bucket, not uploaded again.
    pub reused: usize,
    /// Bytes uploaded.
    pub bytes: usize,
}

/// The assets bucket of one account and region.
#[derive(Debug, Clone)]
pub struct Assets {
    /// Its name.
    pub bucket: String,
    region: String,
    ready: bool,
}

impl Assets {
    /// The bucket of `account` in `region` (not yet checked or created).
    pub fn new(account: &str, region: &str) -> Self {
        Self { bucket: bucket_name(account, region), region: region.to_owned(), ready: false }
    }

    /// The URL CloudFormation reads `key` from (path style, which every region accepts).
    pub fn url(&self, key: &str) -> String {
        format!("https://s3.{}.amazonaws.com/{}/{key}", self.region, self.bucket)
    }

    /// Creates the bucket with its settings unless it exists; the settings are put every time
    /// the bucket is made, and left alone on a bucket that exists.
    pub async fn ensure(&mut self, ctx: &Ctx<'_>) -> Result<(), AwsError> {
        if self.ready {
            return Ok(());
        }
        let s3 = &ctx.clients.s3;
        let id = format!("assets bucket {}", self.bucket);
        let exists = match s3.head_bucket().bucket(&self.bucket).send().await {
            Ok(_) => true,
            Err(e)
                if e.as_service_error()
                    .is_some_and(aws_sdk_s3::operation::head_bucket::HeadBucketError::is_not_found) =>
            {
                false
            }
            Err(e) => return Err(ctx.sdk_error(&id, "s3:HeadBucket", e)),
        };
        if !exists {
            let mut create = s3.create_bucket().bucket(&self.bucket);
            if self.region != "us-east-1" {
                create = create.create_bucket_configuration(
                    CreateBucketConfiguration::builder()
                        .location_constraint(BucketLocationConstraint::from(self.region.as_str()))
                        .build(),
                );
            }
            create.send().await.map_err(|e| ctx.sdk_error(&id, "s3:CreateBucket", e))?;
            self.configure(ctx, &id).await?;
        }
        self.ready = true;
        Ok(())
    }

    async fn configure(&self, ctx: &Ctx<'_>, id: &str) -> Result<(), AwsError> {
        let s3 = &ctx.clients.s3;
        let build = |what: &str, e: aws_sdk_s3::error::BuildError| ctx.fail(id, what, e);
        let encryption = ServerSideEncryptionConfiguration::builder()
            .rules(
                ServerSideEncryptionRule::builder()
                    .apply_server_side_encryption_by_default(
                        ServerSideEncryptionByDefault::builder()
                            .sse_algorithm(ServerSideEncryption::Aes256)
                            .build()
                            .map_err(|e| build("s3:PutBucketEncryption", e))?,
                    )
                    .build(),
            )
            .build()
            .map_err(|e| build("s3:PutBucketEncryption", e))?;
        s3.put_bucket_encryption()
            .bucket(&self.bucket)
            .server_side_encryption_configuration(encryption)
            .send()
            .await
            .map_err(|e| ctx.sdk_error(id, "s3:PutBucketEncryption", e))?;
        s3.put_public_access_block()
            .bucket(&self.bucket)
            .public_access_block_configuration(
                PublicAccessBlockConfiguration::builder()
                    .block_public_acls(true)
                    .ignore_public_acls(true)
                    .block_public_policy(true)
                    .restrict_public_buckets(true)
                    .build(),
            )
            .send()
            .await
            .map_err(|e| ctx.sdk_error(id, "s3:PutPublicAccessBlock", e))?;
        let rule = LifecycleRule::builder()
            .id("expire-old-templates")
            .status(ExpirationStatus::Enabled)
            .filter(LifecycleRuleFilter::builder().prefix("").build())
            .expiration(LifecycleExpiration::builder().days(EXPIRE_DAYS).build())
            .abort_incomplete_multipart_upload(
                AbortIncompleteMultipartUpload::builder().days_after_initiation(1).build(),
            )
            .build()
            .map_err(|e| build("s3:PutBucketLifecycleConfiguration", e))?;
        s3.put_bucket_lifecycle_configuration()
            .bucket(&self.bucket)
            .lifecycle_configuration(
                BucketLifecycleConfiguration::builder()
                    .rules(rule)
                    .build()
                    .map_err(|e| build("s3:PutBucketLifecycleConfiguration", e))?,
            )
            .send()
            .await
            .map_err(|e| ctx.sdk_error(id, "s3:PutBucketLifecycleConfiguration", e))?;
        let tag =
            |k: &str, v: &str| Tag::builder().key(k).value(v).build().map_err(|e| build("s3:PutBucketTagging", e));
        let tagging = Tagging::builder()
            .tag_set(tag("iac:owner", "iac-rs")?)
            .tag_set(tag("iac:purpose", "cloudformation templates (content-addressed)")?)
            .build()
            .map_err(|e| build("s3:PutBucketTagging", e))?;
        s3.put_bucket_tagging()
            .bucket(&self.bucket)
            .tagging(tagging)
            .send()
            .await
            .map_err(|e| ctx.sdk_error(id, "s3:PutBucketTagging", e))?;
        Ok(())
    }

    /// Uploads `body` under its content address unless an object of that address is already
    /// there (and young enough); returns its URL and whether it was uploaded.
    pub async fn put(&mut self, ctx: &Ctx<'_>, what: &str, body: Vec<u8>) -> Result<(String, bool), AwsError> {
        self.ensure(ctx).await?;
        let s3 = &ctx.clients.s3;
        let key = key_of(&body);
        let fresh = match s3.head_object().bucket(&self.bucket).key(&key).send().await {
            Ok(head) => head.last_modified().is_some_and(|t| {
                let Ok(at) = SystemTime::try_from(*t) else { return false };
                SystemTime::now().duration_since(at).unwrap_or_default() < REFRESH_AFTER
            }),
            Err(e)
                if e.as_service_error()
                    .is_some_and(aws_sdk_s3::operation::head_object::HeadObjectError::is_not_found) =>
            {
                false
            }
            Err(e) => return Err(ctx.sdk_error(what, "s3:HeadObject", e)),
        };
        if !fresh {
            s3.put_object()
                .bucket(&self.bucket)
                .key(&key)
                .content_type("application/json")
                .server_side_encryption(ServerSideEncryption::Aes256)
                .body(ByteStream::from(body))
                .send()
                .await
                .map_err(|e| ctx.sdk_error(what, "s3:PutObject", e))?;
        }
        Ok((self.url(&key), !fresh))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_keys() {
        assert_eq!(bucket_name("123456789012", "eu-west-1"), "iac-assets-123456789012-eu-west-1");
        assert!(bucket_name("123456789012", "ap-southeast-2").len() <= 63);
        let k = key_of(b"{}");
        assert_eq!(k, "templates/44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a.json");
        assert_eq!(
            Assets::new("1", "us-east-1").url(&k),
            format!("https://s3.us-east-1.amazonaws.com/iac-assets-1-us-east-1/{k}")
        );
    }
}
