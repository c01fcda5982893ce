//! CloudFront kinds (`AWS::CloudFront::*`): origin access controls and distributions.

mod distribution;
mod origin_access_control;
