//! An RDS instance (`AWS::RDS::DBInstance`), or a read replica of one.

use iac_core::model::{DbInstance, MasterPassword, ResourceEntry};
use iac_core::value::Value;
use serde_json::{Value as Json, json};

use crate::cloudformation::{CfnContext, ToCloudFormation};
use crate::error::RenderError;

impl ToCloudFormation for DbInstance {
    fn properties(&self, cx: &mut CfnContext<'_>, entry: &ResourceEntry) -> Result<Json, RenderError> {
        let prop = "DBInstance";
        if let Some(source) = &self.source_db_instance {
            return replica(cx, entry, self, source);
        }
        let mut p = json!({
            "DBInstanceIdentifier": cx.name(entry),
            "Engine": self.engine.as_aws(),
            "EngineVersion": self.engine_version,
            "DBInstanceClass": cx.value(&self.instance_class, prop)?,
            "AllocatedStorage": self.allocated_storage_gib.to_string(),
            "StorageType": self.storage_type,
            "StorageEncrypted": self.storage_encrypted,
            "MultiAZ": self.multi_az,
            "PubliclyAccessible": self.publicly_accessible,
            "BackupRetentionPeriod": self.backup_retention_days,
            "DeletionProtection": self.deletion_protection,
            "MasterUsername": self.master_username,
            "VPCSecurityGroups": cx.list(&self.security_group_ids, prop)?,
            "DBSubnetGroupName": cx.value(&self.subnet_group_name, prop)?,
            "EnableIAMDatabaseAuthentication": self.iam_authentication,
            "EnablePerformanceInsights": self.performance_insights,
            "EnableCloudwatchLogsExports": self.log_exports,
            "AutoMinorVersionUpgrade": self.auto_minor_version_upgrade,
            "CopyTagsToSnapshot": self.copy_tags_to_snapshot,
        });
        if let Some(max) = self.max_allocated_storage_gib {
            p["MaxAllocatedStorage"] = json!(max);
        }
        if let Some(name) = &self.db_name {
            p["DBName"] = json!(name);
        }
        if let Some(port) = self.port {
            p["Port"] = json!(port.to_string());
        }
        if let Some(pg) = &self.parameter_group_name {
            p["DBParameterGroupName"] = cx.value(pg, prop)?;
        }
        if let Some((interval, role)) = &self.monitoring {
            p["MonitoringInterval"] = json!(interval);
            p["MonitoringRoleArn"] = cx.value(role, prop)?;
        }
        match &self.master_password {
            MasterPassword::ManagedByRds => p["ManageMasterUserPassword"] = json!(true),
            MasterPassword::Secret(s) => p["MasterUserPassword"] = cx.dynamic_reference(s, prop)?,
        }
        Ok(p)
    }
}

/// A read replica: what it inherits from the source (master user and password, database
/// name, storage size and encryption) is left out, as CloudFormation asks.
fn replica(
    cx: &CfnContext<'_>,
    entry: &ResourceEntry,
    x: &DbInstance,
    source: &Value<String>,
) -> Result<Json, RenderError> {
    let prop = "DBInstance";
    let mut p = json!({
        "DBInstanceIdentifier": cx.name(entry),
        "SourceDBInstanceIdentifier": cx.value(source, prop)?,
        "Engine": x.engine.as_aws(),
        "EngineVersion": x.engine_version,
        "DBInstanceClass": cx.value(&x.instance_class, prop)?,
        "StorageType": x.storage_type,
        "MultiAZ": x.multi_az,
        "PubliclyAccessible": x.publicly_accessible,
        "DeletionProtection": x.deletion_protection,
        "VPCSecurityGroups": cx.list(&x.security_group_ids, prop)?,
        "DBSubnetGroupName": cx.value(&x.subnet_group_name, prop)?,
        "EnableIAMDatabaseAuthentication": x.iam_authentication,
        "EnablePerformanceInsights": x.performance_insights,
        "EnableCloudwatchLogsExports": x.log_exports,
        "AutoMinorVersionUpgrade": x.auto_minor_version_upgrade,
        "CopyTagsToSnapshot": x.copy_tags_to_snapshot,
    });
    if x.backup_retention_days > 0 {
        p["BackupRetentionPeriod"] = json!(x.backup_retention_days);
    }
    if let Some(port) = x.port {
        p["Port"] = json!(port.to_string());
    }
    if let Some(pg) = &x.parameter_group_name {
        p["DBParameterGroupName"] = cx.value(pg, prop)?;
    }
    if let Some((interval, role)) = &x.monitoring {
        p["MonitoringInterval"] = json!(interval);
        p["MonitoringRoleArn"] = cx.value(role, prop)?;
    }
    Ok(p)
}
