//! CloudWatch Logs kinds (`aws_cloudwatch_log_group`): log groups.

mod log_group;
