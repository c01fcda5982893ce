//! CloudFront kinds (`aws_cloudfront_*`): origin access controls and distributions.

mod distribution;
mod origin_access_control;
