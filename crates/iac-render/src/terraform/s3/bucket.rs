//! An S3 bucket (`aws_s3_bucket`), and its encryption, public access block, ownership, versioning
//! and lifecycle as the separate resources provider v4+ wants (same label, other types).

use hcl::Expression;
use iac_core::model::{Bucket, BucketEncryption, ResourceEntry};

use crate::error::RenderError;
use crate::terraform::traversal;
use crate::terraform::{Args, TfContext, ToTerraform};

impl ToTerraform for Bucket {
    fn arguments(&self, cx: &mut TfContext<'_>, entry: &ResourceEntry) -> Result<Args, RenderError> {
        let label = cx.label().to_owned();
        let mut a = Args::default();
        if let Some(n) = cx.name(entry) {
            a.set("bucket", n);
        } else {
            let prefix = iac_core::naming::fit(&cx.stack().physical_name(&entry.id, 255), 36);
            a.set("bucket_prefix", format!("{prefix}-"));
        }
        a.set_opt("tags", cx.tags(entry));
        let bucket_id = || traversal("aws_s3_bucket", &[&label, "id"]);

        let mut by_default = Args::default();
        match &self.encryption {
            BucketEncryption::S3Managed => {
                by_default.set("sse_algorithm", "AES256");
            }
            BucketEncryption::Kms { key_id } => {
                by_default.set("sse_algorithm", "aws:kms");
                by_default.set_opt("kms_master_key_id", cx.opt_expr(key_id.as_ref(), "kms_master_key_id")?);
            }
        }
        let mut rule = Args::default();
        rule.nested("apply_server_side_encryption_by_default", by_default)
            .set("bucket_key_enabled", matches!(self.encryption, BucketEncryption::Kms { .. }));
        let mut sse = Args::default();
        sse.set("bucket", bucket_id()).nested("rule", rule);
        cx.extra("aws_s3_bucket_server_side_encryption_configuration", label.clone(), sse);

        let block = self.block_public_access;
        let mut pab = Args::default();
        pab.set("bucket", bucket_id())
            .set("block_public_acls", block)
            .set("block_public_policy", block)
            .set("ignore_public_acls", block)
            .set("restrict_public_buckets", block);
        cx.extra("aws_s3_bucket_public_access_block", label.clone(), pab);

        let mut own_rule = Args::default();
        own_rule.set("object_ownership", self.object_ownership.as_aws());
        let mut own = Args::default();
        own.set("bucket", bucket_id()).nested("rule", own_rule);
        cx.extra("aws_s3_bucket_ownership_controls", label.clone(), own);

        let mut status = Args::default();
        status.set("status", if self.versioning { "Enabled" } else { "Suspended" });
        let mut versioning = Args::default();
        versioning.set("bucket", bucket_id()).nested("versioning_configuration", status);
        cx.extra("aws_s3_bucket_versioning", label.clone(), versioning);

        if !self.lifecycle_rules.is_empty() {
            let mut lc = Args::default();
            lc.set("bucket", bucket_id());
            for rule in &self.lifecycle_rules {
                let mut filter = Args::default();
                filter.set("prefix", rule.prefix.as_str());
                let mut b = Args::default();
                b.set("id", rule.id.as_str()).set("status", "Enabled").nested("filter", filter);
                if let Some(d) = rule.expiration_days {
                    let mut e = Args::default();
                    e.set("days", d);
                    b.nested("expiration", e);
                }
                if let Some(d) = rule.noncurrent_expiration_days {
                    let mut e = Args::default();
                    e.set("noncurrent_days", d);
                    b.nested("noncurrent_version_expiration", e);
                }
                if let Some(d) = rule.abort_incomplete_upload_days {
                    let mut e = Args::default();
                    e.set("days_after_initiation", d);
                    b.nested("abort_incomplete_multipart_upload", e);
                }
                lc.nested("rule", b);
            }
            // Versioning first: S3 applies noncurrent-version rules only once it is on.
            lc.set("depends_on", Expression::Array(vec![traversal("aws_s3_bucket_versioning", &[&label])]));
            cx.extra("aws_s3_bucket_lifecycle_configuration", label.clone(), lc);
        }
        Ok(a)
    }
}
