//! S3 kinds (`aws_s3_bucket`, `aws_s3_bucket_policy`): buckets and bucket policies.

mod bucket;
mod bucket_policy;
