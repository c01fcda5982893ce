//! S3 kinds (`AWS::S3::*`): buckets and bucket policies.

mod bucket;
mod bucket_policy;
