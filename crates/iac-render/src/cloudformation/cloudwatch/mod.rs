//! CloudWatch kinds (`AWS::CloudWatch::*`): metric alarms.

mod alarm;
