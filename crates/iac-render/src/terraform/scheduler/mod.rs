//! `EventBridge` Scheduler kinds (`aws_scheduler_schedule`): schedules.

mod schedule;
