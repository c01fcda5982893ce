//! An RDS instance (`aws_db_instance`), or a read replica of one.

use hcl::Expression;
use iac_core::model::{DbInstance, MasterPassword, ResourceEntry};
use iac_core::value::Value;

use crate::error::RenderError;
use crate::terraform::{Args, TfContext, ToTerraform};

impl ToTerraform for DbInstance {
    fn arguments(&self, cx: &mut TfContext<'_>, entry: &ResourceEntry) -> Result<Args, RenderError> {
        let tags = cx.tags(entry);
        let Some(identifier) = cx.name(entry) else {
            return Err(cx.unsupported("identifier", "the instance has no physical name"));
        };
        if let Some(source) = &self.source_db_instance {
            return replica(cx, self, source, &identifier, tags);
        }
        let mut a = Args::default();
        a.set("identifier", identifier.as_str())
            .set("engine", self.engine.as_aws())
            .set("engine_version", self.engine_version.as_str())
            .set("instance_class", cx.expr(&self.instance_class, "instance_class")?)
            .set("allocated_storage", self.allocated_storage_gib)
            .set_opt("max_allocated_storage", self.max_allocated_storage_gib.map(Expression::from))
            .set("storage_type", self.storage_type.as_str())
            .set("storage_encrypted", self.storage_encrypted)
            .set("multi_az", self.multi_az)
            .set("publicly_accessible", self.publicly_accessible)
            .set("backup_retention_period", self.backup_retention_days)
            .set("deletion_protection", self.deletion_protection)
            .set_opt("db_name", self.db_name.as_deref().map(Expression::from))
            .set("username", self.master_username.as_str());
        match &self.master_password {
            MasterPassword::ManagedByRds => a.set("manage_master_user_password", true),
            MasterPassword::Secret(s) => a.set("password", cx.secret(s, "password")?),
        };
        a.set("port", self.port.unwrap_or_else(|| self.engine.default_port()))
            .set("vpc_security_group_ids", cx.exprs(&self.security_group_ids, "vpc_security_group_ids")?)
            .set("db_subnet_group_name", cx.expr(&self.subnet_group_name, "db_subnet_group_name")?)
            .set_opt("parameter_group_name", cx.opt_expr(self.parameter_group_name.as_ref(), "parameter_group_name")?)
            .set("iam_database_authentication_enabled", self.iam_authentication)
            .set("performance_insights_enabled", self.performance_insights);
        if let Some((interval, role)) = &self.monitoring {
            a.set("monitoring_interval", *interval).set("monitoring_role_arn", cx.expr(role, "monitoring_role_arn")?);
        }
        let logs: Vec<Expression> = self.log_exports.iter().map(|l| Expression::from(l.as_str())).collect();
        a.set("enabled_cloudwatch_logs_exports", Expression::Array(logs))
            .set("auto_minor_version_upgrade", self.auto_minor_version_upgrade)
            .set("copy_tags_to_snapshot", self.copy_tags_to_snapshot)
            .set("skip_final_snapshot", false)
            .set("final_snapshot_identifier", format!("{identifier}-final"))
            .set_opt("tags", tags);
        Ok(a)
    }
}

/// A read replica: `replicate_source_db`, without what it inherits (user, password,
/// database name, storage size); RDS takes no final snapshot of a replica.
fn replica(
    cx: &mut TfContext<'_>,
    r: &DbInstance,
    source: &Value<String>,
    identifier: &str,
    tags: Option<Expression>,
) -> Result<Args, RenderError> {
    let mut a = Args::default();
    a.set("identifier", identifier)
        .set("replicate_source_db", cx.expr(source, "replicate_source_db")?)
        .set("engine", r.engine.as_aws())
        .set("engine_version", r.engine_version.as_str())
        .set("instance_class", cx.expr(&r.instance_class, "instance_class")?)
        .set("storage_type", r.storage_type.as_str())
        .set("storage_encrypted", r.storage_encrypted)
        .set("multi_az", r.multi_az)
        .set("publicly_accessible", r.publicly_accessible)
        .set("deletion_protection", r.deletion_protection);
    if r.backup_retention_days > 0 {
        a.set("backup_retention_period", r.backup_retention_days);
    }
    a.set("port", r.port.unwrap_or_else(|| r.engine.default_port()))
        .set("vpc_security_group_ids", cx.exprs(&r.security_group_ids, "vpc_security_group_ids")?)
        .set("db_subnet_group_name", cx.expr(&r.subnet_group_name, "db_subnet_group_name")?)
        .set_opt("parameter_group_name", cx.opt_expr(r.parameter_group_name.as_ref(), "parameter_group_name")?)
        .set("iam_database_authentication_enabled", r.iam_authentication)
        .set("performance_insights_enabled", r.performance_insights);
    if let Some((interval, role)) = &r.monitoring {
        a.set("monitoring_interval", *interval).set("monitoring_role_arn", cx.expr(role, "monitoring_role_arn")?);
    }
    let logs: Vec<Expression> = r.log_exports.iter().map(|l| Expression::from(l.as_str())).collect();
    a.set("enabled_cloudwatch_logs_exports", Expression::Array(logs))
        .set("auto_minor_version_upgrade", r.auto_minor_version_upgrade)
        .set("copy_tags_to_snapshot", r.copy_tags_to_snapshot)
        .set("skip_final_snapshot", true)
        .set_opt("tags", tags);
    Ok(a)
}
