//! Route 53 kinds (`aws_route53_record`): records.

mod record_set;
