//! A Redis replication group (`aws_elasticache_replication_group`).

use hcl::Expression;
use iac_core::model::{CacheReplicationGroup, ResourceEntry};

use crate::error::RenderError;
use crate::terraform::{Args, TfContext, ToTerraform};

impl ToTerraform for CacheReplicationGroup {
    fn arguments(&self, cx: &mut TfContext<'_>, entry: &ResourceEntry) -> Result<Args, RenderError> {
        let Some(id) = cx.name(entry) else {
            return Err(cx.unsupported("replication_group_id", "the replication group has no physical name"));
        };
        let mut a = Args::default();
        a.set("replication_group_id", id.as_str())
            .set("description", self.description.as_str())
            .set("engine", "redis")
            .set("engine_version", self.engine_version.as_str())
            .set("node_type", cx.expr(&self.node_type, "node_type")?)
            .set("num_cache_clusters", self.num_cache_clusters)
            .set("port", self.port())
            .set("automatic_failover_enabled", self.automatic_failover)
            .set("multi_az_enabled", self.multi_az)
            .set("at_rest_encryption_enabled", self.at_rest_encryption)
            .set("transit_encryption_enabled", self.transit_encryption);
        if self.transit_encryption {
            a.set("transit_encryption_mode", "required");
        }
        if let Some(token) = &self.auth_token {
            a.set("auth_token", cx.secret(token, "auth_token")?);
        }
        a.set("security_group_ids", cx.exprs(&self.security_group_ids, "security_group_ids")?)
            .set("subnet_group_name", cx.expr(&self.subnet_group_name, "subnet_group_name")?)
            .set_opt("parameter_group_name", cx.opt_expr(self.parameter_group_name.as_ref(), "parameter_group_name")?)
            .set("snapshot_retention_limit", self.snapshot_retention_days)
            .set_opt("snapshot_window", self.snapshot_window.as_deref().map(Expression::from))
            .set_opt("maintenance_window", self.maintenance_window.as_deref().map(Expression::from))
            .set("auto_minor_version_upgrade", self.auto_minor_version_upgrade)
            .set("final_snapshot_identifier", format!("{id}-final"))
            .set_opt("tags", cx.tags(entry));
        Ok(a)
    }
}
