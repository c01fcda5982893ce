//! A DB parameter group (`aws_db_parameter_group`): static parameters wait for a reboot.

use iac_core::model::{DbParameterGroup, ResourceEntry};

use crate::error::RenderError;
use crate::terraform::{Args, TfContext, ToTerraform};

use super::parameter_group;

/// Engine parameters that only take effect after a reboot: RDS refuses `immediate` for them, so
/// they are written with `apply_method = "pending-reboot"`.
const STATIC_DB_PARAMETERS: &[&str] = &[
    "innodb_log_file_size",
    "innodb_buffer_pool_instances",
    "innodb_read_io_threads",
    "innodb_write_io_threads",
    "innodb_log_buffer_size",
    "performance_schema",
    "shared_preload_libraries",
    "shared_buffers",
    "max_connections",
    "max_worker_processes",
    "max_wal_senders",
    "max_replication_slots",
    "max_locks_per_transaction",
    "max_prepared_transactions",
    "track_activity_query_size",
    "wal_buffers",
    "rds.logical_replication",
];

impl ToTerraform for DbParameterGroup {
    fn arguments(&self, cx: &mut TfContext<'_>, entry: &ResourceEntry) -> Result<Args, RenderError> {
        Ok(parameter_group(cx, entry, &self.family, &self.description, &self.parameters, STATIC_DB_PARAMETERS))
    }
}
