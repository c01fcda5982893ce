//! CloudWatch Logs kinds (`AWS::Logs::*`): log groups.

mod log_group;
