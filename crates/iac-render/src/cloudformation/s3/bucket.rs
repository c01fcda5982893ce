//! An S3 bucket (`AWS::S3::Bucket`): encryption, public access block, ownership, versioning, lifecycle.

use iac_core::model::{Bucket, BucketEncryption, ResourceEntry};
use serde_json::{Value as Json, json};

use crate::cloudformation::{CfnContext, ToCloudFormation};
use crate::error::RenderError;

impl ToCloudFormation for Bucket {
    fn properties(&self, cx: &mut CfnContext<'_>, _: &ResourceEntry) -> Result<Json, RenderError> {
        let by_default = match &self.encryption {
            BucketEncryption::S3Managed => json!({ "SSEAlgorithm": "AES256" }),
            BucketEncryption::Kms { key_id } => {
                let mut d = json!({ "SSEAlgorithm": "aws:kms" });
                if let Some(k) = key_id {
                    d["KMSMasterKeyID"] = cx.value(k, "BucketEncryption")?;
                }
                d
            }
        };
        let bucket_key = matches!(self.encryption, BucketEncryption::Kms { .. });
        let block = self.block_public_access;
        let mut p = json!({
            "BucketEncryption": { "ServerSideEncryptionConfiguration": [
                { "ServerSideEncryptionByDefault": by_default, "BucketKeyEnabled": bucket_key },
            ] },
            "PublicAccessBlockConfiguration": {
                "BlockPublicAcls": block, "BlockPublicPolicy": block, "IgnorePublicAcls": block, "RestrictPublicBuckets": block,
            },
            "OwnershipControls": { "Rules": [{ "ObjectOwnership": self.object_ownership.as_aws() }] },
            "VersioningConfiguration": { "Status": if self.versioning { "Enabled" } else { "Suspended" } },
        });
        if let Some(name) = &self.name {
            p["BucketName"] = json!(name);
        }
        if !self.lifecycle_rules.is_empty() {
            let rules: Vec<Json> = self
                .lifecycle_rules
                .iter()
                .map(|r| {
                    let mut o = json!({ "Id": r.id, "Status": "Enabled" });
                    if !r.prefix.is_empty() {
                        o["Prefix"] = json!(r.prefix);
                    }
                    if let Some(d) = r.expiration_days {
                        o["ExpirationInDays"] = json!(d);
                    }
                    if let Some(d) = r.noncurrent_expiration_days {
                        o["NoncurrentVersionExpiration"] = json!({ "NoncurrentDays": d });
                    }
                    if let Some(d) = r.abort_incomplete_upload_days {
                        o["AbortIncompleteMultipartUpload"] = json!({ "DaysAfterInitiation": d });
                    }
                    o
                })
                .collect();
            p["LifecycleConfiguration"] = json!({ "Rules": rules });
        }
        Ok(p)
    }
}
