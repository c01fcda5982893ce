//! CloudWatch kinds (`aws_cloudwatch_metric_alarm`): metric alarms.

mod alarm;
