//! A Redis replication group (`AWS::ElastiCache::ReplicationGroup`).

use iac_core::model::{CacheReplicationGroup, ResourceEntry};
use serde_json::{Value as Json, json};

use crate::cloudformation::{CfnContext, ToCloudFormation};
use crate::error::RenderError;

impl ToCloudFormation for CacheReplicationGroup {
    fn properties(&self, cx: &mut CfnContext<'_>, entry: &ResourceEntry) -> Result<Json, RenderError> {
        let prop = "ReplicationGroup";
        let mut p = json!({
            "ReplicationGroupId": cx.name(entry),
            "ReplicationGroupDescription": self.description,
            "Engine": "redis",
            "EngineVersion": self.engine_version,
            "CacheNodeType": cx.value(&self.node_type, prop)?,
            "NumCacheClusters": self.num_cache_clusters,
            "Port": self.port(),
            "AutomaticFailoverEnabled": self.automatic_failover,
            "MultiAZEnabled": self.multi_az,
            "AtRestEncryptionEnabled": self.at_rest_encryption,
            "TransitEncryptionEnabled": self.transit_encryption,
            "SecurityGroupIds": cx.list(&self.security_group_ids, prop)?,
            "CacheSubnetGroupName": cx.value(&self.subnet_group_name, prop)?,
            "SnapshotRetentionLimit": self.snapshot_retention_days,
            "AutoMinorVersionUpgrade": self.auto_minor_version_upgrade,
        });
        if self.transit_encryption {
            p["TransitEncryptionMode"] = json!("required");
        }
        if let Some(token) = &self.auth_token {
            p["AuthToken"] = cx.dynamic_reference(token, prop)?;
        }
        if let Some(pg) = &self.parameter_group_name {
            p["CacheParameterGroupName"] = cx.value(pg, prop)?;
        }
        if let Some(w) = &self.snapshot_window {
            p["SnapshotWindow"] = json!(w);
        }
        if let Some(w) = &self.maintenance_window {
            p["PreferredMaintenanceWindow"] = json!(w);
        }
        Ok(p)
    }
}
