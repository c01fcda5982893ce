//! Route 53 kinds (`AWS::Route53::*`): records.

mod record_set;
