//! The `[alarms]` part of a stack's config: who is notified and the thresholds, each with a
//! default, of the database alarms ([`iac_core::patterns::alarms`]).

use serde::Deserialize;

/// Who is notified and when.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlarmsConfig {
    /// Email addresses notified (each confirms its subscription from a mail AWS sends).
    pub emails: Vec<String>,
    /// Database CPU, percent on average over 15 minutes.
    #[serde(default = "db_cpu_percent")]
    pub db_cpu_percent: f64,
    /// Seconds a read replica may fall behind (3 of 5 minutes).
    #[serde(default = "replica_lag_seconds")]
    pub replica_lag_seconds: f64,
    /// GiB the MySQL primary's binary logs may take.
    #[serde(default = "binlog_disk_usage_gib")]
    pub binlog_disk_usage_gib: f64,
}

fn db_cpu_percent() -> f64 {
    80.0
}

fn replica_lag_seconds() -> f64 {
    30.0
}

fn binlog_disk_usage_gib() -> f64 {
    10.0
}

/// Bytes in a GiB, for thresholds in bytes.
pub const GIB: f64 = 1024.0 * 1024.0 * 1024.0;
