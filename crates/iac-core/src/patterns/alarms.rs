//! `Notifications` and the common alarms: an encrypted SNS topic with email subscriptions, and
//! CloudWatch alarms that notify it when they go off and when they are back to normal.
//!
//! The topic is encrypted with a key of the stack's own, not the AWS-managed `alias/aws/sns`:
//! CloudWatch publishes alarm notifications as itself, and the AWS-managed key's policy (which
//! cannot be changed) does not let it, so an alarm on a topic encrypted with `aws/sns` goes off
//! and nobody hears it. The key's policy names `cloudwatch.amazonaws.com`, as the SNS
//! documentation asks for event sources of AWS services.
//!
//! ```
//! use iac_core::StackBuilder;
//! use iac_core::patterns::alarms::Notifications;
//!
//! let mut stack = StackBuilder::new("demo", "dev");
//! let ops = Notifications::create(&mut stack, "Alarms", &["ops@example.org".to_owned()]);
//! // With a `Database` `db`: ops.alarm(&mut stack, "DatabaseCpuAlarm", alarms::rds_cpu(&db.instance, 80.0));
//! assert_eq!(stack.build().unwrap().resources().len(), 3);
//! ```

use crate::model::{
    Alarm, Comparison, DbInstance, Dimension, Handle, Key, MissingData, Statistic, Subscription, SubscriptionProtocol,
    Topic,
};
use crate::stack::StackBuilder;
use crate::value::Value;

/// Where alarms notify: a topic encrypted with its own key that CloudWatch may use, and its
/// email subscriptions. Each address receives a confirmation mail from AWS first and nothing
/// until its link is followed.
#[derive(Debug, Clone)]
pub struct Notifications {
    /// The topic.
    pub topic: Handle<Topic>,
    /// The topic's key.
    pub key: Handle<Key>,
}

impl Notifications {
    /// Adds the key `<name>Key`, the topic `<name>Topic` and one subscription `<name>Email<n>`
    /// per address.
    pub fn create(stack: &mut StackBuilder, name: &str, emails: &[String]) -> Self {
        stack.pattern("Notifications", name, |stack| Self::add_resources(stack, name, emails))
    }

    /// [`Self::create`] inside its pattern scope.
    fn add_resources(stack: &mut StackBuilder, name: &str, emails: &[String]) -> Self {
        let key = stack.add(
            &format!("{name}Key"),
            Key {
                description: format!(
                    "{} {} {name}: encrypts the alarm topic, to which CloudWatch publishes",
                    stack.name(),
                    stack.env()
                ),
                service_users: vec!["cloudwatch.amazonaws.com".into()],
            },
        );
        let display_name = format!("{} {} alarms", stack.name(), stack.env());
        let topic = stack
            .add(&format!("{name}Topic"), Topic { kms_master_key_id: key.arn(), ..Topic::encrypted(display_name) });
        for (i, email) in emails.iter().enumerate() {
            stack.add(
                &format!("{name}Email{}", i + 1),
                Subscription {
                    topic_arn: topic.arn(),
                    protocol: SubscriptionProtocol::Email,
                    endpoint: Value::from(email.as_str()),
                },
            );
        }
        Self { topic, key }
    }

    /// Adds `alarm` as `id`, notifying the topic when it goes off and when it is back to normal.
    pub fn alarm(&self, stack: &mut StackBuilder, id: &str, alarm: Alarm) -> Handle<Alarm> {
        stack.add(id, Alarm { alarm_actions: vec![self.topic.arn()], ok_actions: vec![self.topic.arn()], ..alarm })
    }
}

/// An alarm on an RDS instance's metric `metric` (namespace `AWS/RDS`), without actions.
fn rds(db: &Handle<DbInstance>, metric: &str, description: String) -> Alarm {
    Alarm {
        name: None,
        description,
        namespace: "AWS/RDS".into(),
        metric_name: metric.into(),
        dimensions: vec![Dimension { name: "DBInstanceIdentifier".into(), value: db.identifier() }],
        statistic: Statistic::Average,
        period_seconds: 300,
        evaluation_periods: 3,
        datapoints_to_alarm: None,
        threshold: 0.0,
        comparison: Comparison::GreaterThan,
        missing_data: MissingData::Missing,
        alarm_actions: Vec::new(),
        ok_actions: Vec::new(),
    }
}

/// The database's CPU above `percent` on average for 15 minutes.
pub fn rds_cpu(db: &Handle<DbInstance>, percent: f64) -> Alarm {
    Alarm {
        threshold: percent,
        ..rds(
            db,
            "CPUUtilization",
            format!(
                "CPU of {} above {percent}% for 15 minutes: look for slow queries (Performance Insights) or a larger class",
                db.id()
            ),
        )
    }
}

/// A read replica more than `seconds` behind its primary in 3 of 5 minutes (the worst second
/// of each minute). A replica that reports no lag at all has stopped replicating or is down,
/// so missing data counts as a breach.
pub fn rds_replica_lag(replica: &Handle<DbInstance>, seconds: f64) -> Alarm {
    Alarm {
        statistic: Statistic::Maximum,
        period_seconds: 60,
        evaluation_periods: 5,
        datapoints_to_alarm: Some(3),
        threshold: seconds,
        missing_data: MissingData::Breaching,
        ..rds(
            replica,
            "ReplicaLag",
            format!(
                "replica {} more than {seconds} s behind its primary: readers see old data; check the primary's write \
                 load and the replica's class and redo log size",
                replica.id()
            ),
        )
    }
}

/// The disk space a MySQL primary's binary logs take (`BinLogDiskUsage`) above `bytes` for 15
/// minutes. MySQL keeps its transaction history in the binary logs, which replicas read and
/// backups copy; RDS keeps them until every replica has applied them (and for the retention
/// the `mysql.rds_set_configuration` procedure sets), so a lagging replica or a stuck
/// consumer makes them grow until the storage is full. The `InnoDB` redo log is of fixed size and
/// PostgreSQL's `TransactionLogsDiskUsage` has no MySQL counterpart, so this is the metric of
/// "transaction log size" on MySQL.
pub fn rds_binlog_disk_usage(primary: &Handle<DbInstance>, bytes: f64) -> Alarm {
    Alarm {
        statistic: Statistic::Maximum,
        threshold: bytes,
        ..rds(
            primary,
            "BinLogDiskUsage",
            format!(
                "binary logs of {} take more than {bytes} bytes: a replica is behind or the binlog retention is too \
                 long; the storage fills up if it goes on",
                primary.id()
            ),
        )
    }
}
