//! `EventBridge` Scheduler kinds (`AWS::Scheduler::*`): schedules.

mod schedule;
