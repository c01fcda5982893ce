//! `AWS::RDS::DBInstance`: a primary, created with every property of the template, or a read
//! replica of one (`SourceDBInstanceIdentifier` set), created with `CreateDBInstanceReadReplica`
//! and never as a primary. Both are updated with one `ModifyDBInstance` of what differs.
//!
//! Deleting a primary takes a final snapshot. A replica holds no data of its own (its spec says
//! so: [`iac_core::model::DbInstance::is_replica`]; everything it serves is its source's), and RDS
//! refuses a final snapshot of a replica, so a replica is deleted without one and needs no
//! `--allow-data-loss`. A replica whose source changes, or that is to become a primary, is
//! replaced (the spec's `SourceDBInstanceIdentifier` trigger): the SDK path never promotes.

use super::{
    Adapter, AwsError, BTreeSet, CfnTag, CloudwatchLogsExportConfiguration, Ctx, DbInstance, DescribeDBInstancesError,
    Deserialize, Desired, Json, LogicalId, Observed, ProvideErrorMetadata, ResourceEntry, SdkKind, SystemTime, Tags,
    UNIX_EPOCH, absent, adapter, add_tags, code, de, list_tags, model, sdk_tags, state, tag_pairs,
};

/// The desired properties of an `AWS::RDS::DBInstance`: a primary (the master password is
/// always managed by RDS) or, with `SourceDBInstanceIdentifier`, a read replica.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct DbInstanceProps {
    #[serde(rename = "DBInstanceIdentifier", deserialize_with = "de::text")]
    pub(crate) db_instance_identifier: String,
    /// The source of a read replica (its identifier, or ARN in another region).
    #[serde(rename = "SourceDBInstanceIdentifier", default, deserialize_with = "de::opt_text")]
    pub(crate) source_db_instance_identifier: Option<String>,
    #[serde(deserialize_with = "de::text")]
    pub(crate) engine: String,
    #[serde(default, deserialize_with = "de::opt_text")]
    pub(crate) engine_version: Option<String>,
    #[serde(rename = "DBInstanceClass", deserialize_with = "de::text")]
    pub(crate) db_instance_class: String,
    #[serde(default, deserialize_with = "de::opt_int")]
    pub(crate) allocated_storage: Option<i32>,
    #[serde(default, deserialize_with = "de::opt_int")]
    pub(crate) max_allocated_storage: Option<i32>,
    #[serde(default, deserialize_with = "de::opt_text")]
    pub(crate) storage_type: Option<String>,
    #[serde(default, deserialize_with = "de::opt_int")]
    pub(crate) iops: Option<i32>,
    #[serde(default, deserialize_with = "de::opt_int")]
    pub(crate) storage_throughput: Option<i32>,
    #[serde(default, deserialize_with = "de::opt_bool")]
    pub(crate) storage_encrypted: Option<bool>,
    #[serde(default, deserialize_with = "de::opt_text")]
    pub(crate) kms_key_id: Option<String>,
    #[serde(rename = "MultiAZ", default, deserialize_with = "de::opt_bool")]
    pub(crate) multi_az: Option<bool>,
    #[serde(default, deserialize_with = "de::opt_text")]
    pub(crate) availability_zone: Option<String>,
    #[serde(default, deserialize_with = "de::opt_bool")]
    pub(crate) publicly_accessible: Option<bool>,
    #[serde(default, deserialize_with = "de::opt_int")]
    pub(crate) backup_retention_period: Option<i32>,
    #[serde(default, deserialize_with = "de::opt_text")]
    pub(crate) preferred_backup_window: Option<String>,
    #[serde(default, deserialize_with = "de::opt_text")]
    pub(crate) preferred_maintenance_window: Option<String>,
    #[serde(default, deserialize_with = "de::opt_bool")]
    pub(crate) deletion_protection: Option<bool>,
    #[serde(rename = "DBName", default, deserialize_with = "de::opt_text")]
    pub(crate) db_name: Option<String>,
    #[serde(default, deserialize_with = "de::opt_text")]
    pub(crate) master_username: Option<String>,
    #[serde(default, deserialize_with = "de::opt_text")]
    pub(crate) master_user_password: Option<String>,
    #[serde(default, deserialize_with = "de::opt_bool")]
    pub(crate) manage_master_user_password: Option<bool>,
    #[serde(default, deserialize_with = "de::opt_int")]
    pub(crate) port: Option<i32>,
    #[serde(rename = "VPCSecurityGroups", default)]
    pub(crate) vpc_security_groups: Vec<String>,
    #[serde(rename = "DBSubnetGroupName", default, deserialize_with = "de::opt_text")]
    pub(crate) db_subnet_group_name: Option<String>,
    #[serde(rename = "DBParameterGroupName", default, deserialize_with = "de::opt_text")]
    pub(crate) db_parameter_group_name: Option<String>,
    #[serde(default, deserialize_with = "de::opt_text")]
    pub(crate) option_group_name: Option<String>,
    #[serde(rename = "EnableIAMDatabaseAuthentication", default, deserialize_with = "de::opt_bool")]
    pub(crate) enable_iam_database_authentication: Option<bool>,
    #[serde(default, deserialize_with = "de::opt_bool")]
    pub(crate) enable_performance_insights: Option<bool>,
    #[serde(rename = "PerformanceInsightsKMSKeyId", default, deserialize_with = "de::opt_text")]
    pub(crate) performance_insights_kms_key_id: Option<String>,
    #[serde(default, deserialize_with = "de::opt_int")]
    pub(crate) performance_insights_retention_period: Option<i32>,
    #[serde(default, deserialize_with = "de::opt_int")]
    pub(crate) monitoring_interval: Option<i32>,
    #[serde(default, deserialize_with = "de::opt_text")]
    pub(crate) monitoring_role_arn: Option<String>,
    #[serde(default)]
    pub(crate) enable_cloudwatch_logs_exports: Vec<String>,
    #[serde(default, deserialize_with = "de::opt_bool")]
    pub(crate) auto_minor_version_upgrade: Option<bool>,
    #[serde(default, deserialize_with = "de::opt_bool")]
    pub(crate) copy_tags_to_snapshot: Option<bool>,
    #[serde(rename = "CACertificateIdentifier", default, deserialize_with = "de::opt_text")]
    pub(crate) ca_certificate_identifier: Option<String>,
    #[serde(default, deserialize_with = "de::opt_text")]
    pub(crate) character_set_name: Option<String>,
    #[serde(default, deserialize_with = "de::opt_text")]
    pub(crate) license_model: Option<String>,
    #[serde(default, deserialize_with = "de::opt_text")]
    pub(crate) network_type: Option<String>,
    #[serde(default)]
    pub(crate) master_user_secret: Option<MasterUserSecret>,
    #[serde(default)]
    pub(crate) tags: Vec<CfnTag>,
}

/// An instance's `MasterUserSecret`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct MasterUserSecret {
    #[serde(default)]
    pub(crate) kms_key_id: Option<String>,
}

impl Desired for DbInstanceProps {
    fn template_tags(&self) -> Vec<(&str, &str)> {
        adapter::pairs(&self.tags)
    }
}

impl Adapter for model::DbInstance {
    type Props = DbInstanceProps;

    /// Creates the instance and waits until it is `available`.
    async fn create(
        ctx: &Ctx<'_>,
        entry: &ResourceEntry,
        props: &DbInstanceProps,
        tags: &Tags,
    ) -> Result<Observed, AwsError> {
        let mut observed = match &props.source_db_instance_identifier {
            Some(source) => Box::pin(create_replica(ctx, entry, source, props, tags)).await?,
            None => Box::pin(create_instance(ctx, entry, props, tags)).await?,
        };
        observed.hash = state::hash_of(tags);
        Ok(observed)
    }

    /// Sends what differs from the instance as it is, in one `ModifyDBInstance`.
    async fn update(
        ctx: &Ctx<'_>,
        entry: &ResourceEntry,
        current: &Observed,
        props: &DbInstanceProps,
        tags: &Tags,
    ) -> Result<Observed, AwsError> {
        let mut observed = update_instance(ctx, entry, current, props, tags).await?;
        observed.hash = state::hash_of(tags);
        Ok(observed)
    }

    /// Deletion protection off, then a delete with a final snapshot (none for a replica: see the
    /// module docs).
    async fn delete(ctx: &Ctx<'_>, current: &Observed) -> Result<(), AwsError> {
        delete_instance(ctx, current).await
    }
}

// ---------------------------------------------------------------------------------------------
// Instances

pub(super) async fn create_instance(
    ctx: &Ctx<'_>,
    entry: &ResourceEntry,
    props: &DbInstanceProps,
    tags: &Tags,
) -> Result<Observed, AwsError> {
    let id = entry.id.as_str();
    let rds = &ctx.clients.rds;
    let identifier = props.db_instance_identifier.clone();
    let security_groups = props.vpc_security_groups.clone();
    let log_exports = props.enable_cloudwatch_logs_exports.clone();
    if props.master_user_password.is_some() {
        return Err(AwsError::Resolve {
            stack: ctx.stack.name().to_owned(),
            id: id.to_owned(),
            property: "MasterUserPassword".into(),
            message: "the SDK engine never sends a password; use a password managed by RDS (ManageMasterUserPassword)"
                .into(),
        });
    }
    let monitoring = props.monitoring_interval;
    let request = rds
        .create_db_instance()
        .db_instance_identifier(&identifier)
        .engine(props.engine.clone())
        .set_engine_version(props.engine_version.clone())
        .db_instance_class(props.db_instance_class.clone())
        .set_allocated_storage(props.allocated_storage)
        .set_max_allocated_storage(props.max_allocated_storage)
        .set_storage_type(props.storage_type.clone())
        .set_iops(props.iops)
        .set_storage_throughput(props.storage_throughput)
        .set_storage_encrypted(props.storage_encrypted)
        .set_kms_key_id(props.kms_key_id.clone())
        .set_multi_az(props.multi_az)
        .set_availability_zone(props.availability_zone.clone())
        .set_publicly_accessible(props.publicly_accessible)
        .set_backup_retention_period(props.backup_retention_period)
        .set_preferred_backup_window(props.preferred_backup_window.clone())
        .set_preferred_maintenance_window(props.preferred_maintenance_window.clone())
        .set_deletion_protection(props.deletion_protection)
        .set_db_name(props.db_name.clone())
        .set_master_username(props.master_username.clone())
        .set_manage_master_user_password(props.manage_master_user_password)
        .set_master_user_secret_kms_key_id(props.master_user_secret.as_ref().and_then(|m| m.kms_key_id.clone()))
        .set_port(props.port)
        .set_vpc_security_group_ids((!security_groups.is_empty()).then_some(security_groups))
        .set_db_subnet_group_name(props.db_subnet_group_name.clone())
        .set_db_parameter_group_name(props.db_parameter_group_name.clone())
        .set_option_group_name(props.option_group_name.clone())
        .set_enable_iam_database_authentication(props.enable_iam_database_authentication)
        .set_enable_performance_insights(props.enable_performance_insights)
        .set_performance_insights_kms_key_id(props.performance_insights_kms_key_id.clone())
        .set_performance_insights_retention_period(props.performance_insights_retention_period)
        .set_monitoring_interval(monitoring)
        .set_monitoring_role_arn(props.monitoring_role_arn.clone().filter(|_| monitoring.unwrap_or(0) > 0))
        .set_enable_cloudwatch_logs_exports((!log_exports.is_empty()).then_some(log_exports))
        .set_auto_minor_version_upgrade(props.auto_minor_version_upgrade)
        .set_copy_tags_to_snapshot(props.copy_tags_to_snapshot)
        .set_ca_certificate_identifier(props.ca_certificate_identifier.clone())
        .set_character_set_name(props.character_set_name.clone())
        .set_license_model(props.license_model.clone())
        .set_network_type(props.network_type.clone())
        .set_tags(Some(sdk_tags(tags)));
    // A new monitoring role takes a few seconds to be usable by RDS (InvalidParameterValue);
    // a new security group or subnet group can also lag behind.
    ctx.retry(id, "rds:CreateDBInstance", &["InvalidParameterValue", "InvalidVPCNetworkStateFault"], || {
        request.clone().send()
    })
    .await?;
    let db = wait_settled(ctx, id, &identifier).await?;
    Ok(observe_instance(entry.id.clone(), &db))
}

/// A read replica of `source`: the settings `CreateDBInstanceReadReplica` takes (the engine,
/// its version, the master user, the database name, encryption and backups come from the
/// source), then one `ModifyDBInstance` of whatever the new replica does not match yet (RDS, and
/// moto, copy some settings such as Multi-AZ from the source).
pub(super) async fn create_replica(
    ctx: &Ctx<'_>,
    entry: &ResourceEntry,
    source: &str,
    props: &DbInstanceProps,
    tags: &Tags,
) -> Result<Observed, AwsError> {
    let id = entry.id.as_str();
    let rds = &ctx.clients.rds;
    let identifier = props.db_instance_identifier.clone();
    let security_groups = props.vpc_security_groups.clone();
    let log_exports = props.enable_cloudwatch_logs_exports.clone();
    let monitoring = props.monitoring_interval;
    let request = rds
        .create_db_instance_read_replica()
        .db_instance_identifier(&identifier)
        .source_db_instance_identifier(source)
        .db_instance_class(props.db_instance_class.clone())
        .set_storage_type(props.storage_type.clone())
        .set_iops(props.iops)
        .set_storage_throughput(props.storage_throughput)
        .set_max_allocated_storage(props.max_allocated_storage)
        .set_multi_az(props.multi_az)
        .set_availability_zone(props.availability_zone.clone())
        .set_publicly_accessible(props.publicly_accessible)
        .set_deletion_protection(props.deletion_protection)
        .set_port(props.port)
        .set_vpc_security_group_ids((!security_groups.is_empty()).then_some(security_groups))
        .set_db_subnet_group_name(props.db_subnet_group_name.clone())
        .set_db_parameter_group_name(props.db_parameter_group_name.clone())
        .set_option_group_name(props.option_group_name.clone())
        .set_kms_key_id(props.kms_key_id.clone())
        .set_enable_iam_database_authentication(props.enable_iam_database_authentication)
        .set_enable_performance_insights(props.enable_performance_insights)
        .set_performance_insights_kms_key_id(props.performance_insights_kms_key_id.clone())
        .set_performance_insights_retention_period(props.performance_insights_retention_period)
        .set_monitoring_interval(monitoring)
        .set_monitoring_role_arn(props.monitoring_role_arn.clone().filter(|_| monitoring.unwrap_or(0) > 0))
        .set_enable_cloudwatch_logs_exports((!log_exports.is_empty()).then_some(log_exports))
        .set_auto_minor_version_upgrade(props.auto_minor_version_upgrade)
        .set_copy_tags_to_snapshot(props.copy_tags_to_snapshot)
        .set_ca_certificate_identifier(props.ca_certificate_identifier.clone())
        .set_network_type(props.network_type.clone())
        .set_tags(Some(sdk_tags(tags)));
    // A source still being modified or backed up refuses replicas for a while
    // (InvalidDBInstanceState); a new monitoring role or group can lag behind.
    let made = ctx
        .retry(
            id,
            "rds:CreateDBInstanceReadReplica",
            &["InvalidDBInstanceState", "InvalidParameterValue", "InvalidVPCNetworkStateFault"],
            || request.clone().send(),
        )
        .await;
    match made {
        Ok(_) => {}
        // A rerun after a kill inside the call: the replica exists, tagged at creation.
        Err(AwsError::Sdk { ref source, .. }) if source.code() == Some("DBInstanceAlreadyExists") => {}
        Err(e) => return Err(e),
    }
    let db = wait_settled(ctx, id, &identifier).await?;
    let current = observe_instance(entry.id.clone(), &db);
    update_instance(ctx, entry, &current, props, tags).await
}

#[allow(clippy::too_many_lines)] // one block per setting ModifyDBInstance can change
pub(super) async fn update_instance(
    ctx: &Ctx<'_>,
    entry: &ResourceEntry,
    current: &Observed,
    props: &DbInstanceProps,
    tags: &Tags,
) -> Result<Observed, AwsError> {
    let id = entry.id.as_str();
    let rds = &ctx.clients.rds;
    let identifier = current.physical_id.as_str();
    let db = wait_settled(ctx, id, identifier).await?;
    let mut req = rds.modify_db_instance().db_instance_identifier(identifier).apply_immediately(true);
    let mut any = false;
    let mut set = |differs: bool| {
        any |= differs;
        differs
    };

    let want_str = |v: &Option<String>| v.clone().filter(|v| !v.is_empty());
    if let Some(class) =
        want_str(&Some(props.db_instance_class.clone())).filter(|c| set(Some(c.as_str()) != db.db_instance_class()))
    {
        req = req.db_instance_class(class);
    }
    if let Some(size) = props.allocated_storage {
        let now = db.allocated_storage().unwrap_or(0);
        if size < now {
            return Err(AwsError::Resolve {
                stack: ctx.stack.name().to_owned(),
                id: id.to_owned(),
                property: "AllocatedStorage".into(),
                message: format!(
                    "RDS storage can only grow ({now} GiB now, {size} GiB asked); keep {now} or more, or migrate to a new instance"
                ),
            });
        }
        if set(size > now) {
            req = req.allocated_storage(size);
        }
    }
    if let Some(max) = props.max_allocated_storage.filter(|m| set(Some(*m) != db.max_allocated_storage())) {
        req = req.max_allocated_storage(max);
    }
    if let Some(v) = want_str(&props.storage_type).filter(|v| set(Some(v.as_str()) != db.storage_type())) {
        req = req.storage_type(v);
    }
    if let Some(v) = props.iops.filter(|v| set(Some(*v) != db.iops())) {
        req = req.iops(v);
    }
    if let Some(v) = props.storage_throughput.filter(|v| set(Some(*v) != db.storage_throughput())) {
        req = req.storage_throughput(v);
    }
    if let Some(v) = props.backup_retention_period.filter(|v| set(Some(*v) != db.backup_retention_period())) {
        req = req.backup_retention_period(v);
    }
    if let Some(v) =
        want_str(&props.preferred_backup_window).filter(|v| set(Some(v.as_str()) != db.preferred_backup_window()))
    {
        req = req.preferred_backup_window(v);
    }
    if let Some(v) = want_str(&props.preferred_maintenance_window)
        .filter(|v| set(Some(v.as_str()) != db.preferred_maintenance_window()))
    {
        req = req.preferred_maintenance_window(v);
    }
    for (want, now, apply) in [
        (props.multi_az, db.multi_az(), ModifyFlag::MultiAz),
        (props.deletion_protection, db.deletion_protection(), ModifyFlag::DeletionProtection),
        (props.publicly_accessible, db.publicly_accessible(), ModifyFlag::PubliclyAccessible),
        (props.auto_minor_version_upgrade, db.auto_minor_version_upgrade(), ModifyFlag::AutoMinorVersionUpgrade),
        (props.copy_tags_to_snapshot, db.copy_tags_to_snapshot(), ModifyFlag::CopyTagsToSnapshot),
        (
            props.enable_iam_database_authentication,
            db.iam_database_authentication_enabled(),
            ModifyFlag::IamAuthentication,
        ),
        (props.enable_performance_insights, db.performance_insights_enabled(), ModifyFlag::PerformanceInsights),
    ] {
        if let Some(v) = want.filter(|v| set(Some(*v) != now)) {
            req = apply.set(req, v);
        }
    }
    let now_group = db.db_parameter_groups().first().and_then(|g| g.db_parameter_group_name());
    if let Some(g) = want_str(&props.db_parameter_group_name).filter(|g| set(Some(g.as_str()) != now_group)) {
        req = req.db_parameter_group_name(g);
    }
    let want_sgs: BTreeSet<String> = props.vpc_security_groups.iter().cloned().collect();
    let now_sgs: BTreeSet<String> = active_security_groups(&db).into_iter().collect();
    if !want_sgs.is_empty() && set(want_sgs != now_sgs) {
        req = req.set_vpc_security_group_ids(Some(want_sgs.into_iter().collect()));
    }
    let interval = props.monitoring_interval.unwrap_or(0);
    let role = props.monitoring_role_arn.clone().filter(|_| interval > 0);
    if set(interval != db.monitoring_interval().unwrap_or(0)
        || (interval > 0 && role.as_deref() != db.monitoring_role_arn()))
    {
        req = req.monitoring_interval(interval).set_monitoring_role_arn(role);
    }
    let want_logs: BTreeSet<String> = props.enable_cloudwatch_logs_exports.iter().cloned().collect();
    let now_logs: BTreeSet<String> = db.enabled_cloudwatch_logs_exports().iter().cloned().collect();
    if set(want_logs != now_logs) {
        let config = CloudwatchLogsExportConfiguration::builder()
            .set_enable_log_types(Some(want_logs.difference(&now_logs).cloned().collect()))
            .set_disable_log_types(Some(now_logs.difference(&want_logs).cloned().collect()))
            .build();
        req = req.cloudwatch_logs_export_configuration(config);
    }
    if let Some(version) = want_str(&props.engine_version) {
        let now = db.engine_version().unwrap_or_default();
        // Only upgrades: with AutoMinorVersionUpgrade AWS may already run a newer minor version.
        if set(newer(&version, now)) {
            let major = |v: &str| v.split('.').next().unwrap_or_default().to_owned();
            req = req.allow_major_version_upgrade(major(&version) != major(now)).engine_version(version);
        }
    }
    if props.manage_master_user_password == Some(true) && set(db.master_user_secret().is_none()) {
        req = req.manage_master_user_password(true);
    }
    if let Some(port) = props
        .port
        .filter(|p| set(db.endpoint().and_then(aws_sdk_rds::types::Endpoint::port).is_some_and(|now| now != *p)))
    {
        req = req.db_port_number(port);
    }

    if any {
        ctx.retry(
            id,
            "rds:ModifyDBInstance",
            &["InvalidDBInstanceState", "InvalidParameterValue", "InvalidVPCNetworkStateFault"],
            || req.clone().send(),
        )
        .await?;
    }
    let db = wait_settled(ctx, id, identifier).await?;
    if let Some(arn) = db.db_instance_arn() {
        add_tags(ctx, id, arn, tags).await?;
    }
    Ok(observe_instance(entry.id.clone(), &db))
}

/// Boolean settings of `ModifyDBInstance`, so they can be handled in one loop.
#[derive(Clone, Copy)]
pub(super) enum ModifyFlag {
    MultiAz,
    DeletionProtection,
    PubliclyAccessible,
    AutoMinorVersionUpgrade,
    CopyTagsToSnapshot,
    IamAuthentication,
    PerformanceInsights,
}

impl ModifyFlag {
    fn set(
        self,
        req: aws_sdk_rds::operation::modify_db_instance::builders::ModifyDBInstanceFluentBuilder,
        v: bool,
    ) -> aws_sdk_rds::operation::modify_db_instance::builders::ModifyDBInstanceFluentBuilder {
        match self {
            ModifyFlag::MultiAz => req.multi_az(v),
            ModifyFlag::DeletionProtection => req.deletion_protection(v),
            ModifyFlag::PubliclyAccessible => req.publicly_accessible(v),
            ModifyFlag::AutoMinorVersionUpgrade => req.auto_minor_version_upgrade(v),
            ModifyFlag::CopyTagsToSnapshot => req.copy_tags_to_snapshot(v),
            ModifyFlag::IamAuthentication => req.enable_iam_database_authentication(v),
            ModifyFlag::PerformanceInsights => req.enable_performance_insights(v),
        }
    }
}

/// `a` is a strictly newer dotted version than `b` (numeric parts compared as numbers).
pub(super) fn newer(a: &str, b: &str) -> bool {
    let parts = |v: &str| v.split('.').map(|p| p.parse::<u64>().unwrap_or(0)).collect::<Vec<_>>();
    parts(a) > parts(b)
}

pub(super) fn active_security_groups(db: &DbInstance) -> Vec<String> {
    db.vpc_security_groups()
        .iter()
        .filter(|g| g.status() != Some("removing"))
        .filter_map(|g| g.vpc_security_group_id().map(str::to_owned))
        .collect()
}

pub(super) async fn find_instance(ctx: &Ctx<'_>, id: &str, identifier: &str) -> Result<Option<DbInstance>, AwsError> {
    let rds = &ctx.clients.rds;
    let out = ctx
        .retry(id, "rds:DescribeDBInstances", &[], || async move {
            absent(
                rds.describe_db_instances().db_instance_identifier(identifier).send().await,
                DescribeDBInstancesError::is_db_instance_not_found_fault,
            )
        })
        .await?;
    Ok(out.and_then(|o| o.db_instances().first().cloned()))
}

/// Waits until the instance is `available` with no pending modification.
pub(super) async fn wait_settled(ctx: &Ctx<'_>, id: &str, identifier: &str) -> Result<DbInstance, AwsError> {
    ctx.wait_for(id, "available", || async move {
        let Some(db) = find_instance(ctx, id, identifier).await? else {
            return Err(ctx.fail(
                id,
                "rds:DescribeDBInstances",
                format!("DB instance `{identifier}` does not exist (deleted outside this tool?); re-run plan"),
            ));
        };
        let pending = db.pending_modified_values().is_some_and(has_pending);
        Ok((db.db_instance_status() == Some("available") && !pending).then_some(db))
    })
    .await
}

pub(super) fn has_pending(p: &aws_sdk_rds::types::PendingModifiedValues) -> bool {
    p.db_instance_class().is_some()
        || p.allocated_storage().is_some()
        || p.multi_az().is_some()
        || p.engine_version().is_some()
        || p.backup_retention_period().is_some()
        || p.storage_type().is_some()
        || p.iops().is_some()
        || p.storage_throughput().is_some()
        || p.port().is_some()
        || p.db_instance_identifier().is_some()
        || p.pending_cloudwatch_logs_exports()
            .is_some_and(|l| !l.log_types_to_enable().is_empty() || !l.log_types_to_disable().is_empty())
}

pub(super) fn observe_instance(id: LogicalId, db: &DbInstance) -> Observed {
    let identifier = db.db_instance_identifier().unwrap_or_default();
    let mut o = Observed::new(id, SdkKind::DbInstance.cfn_type(), identifier);
    if let Some(e) = db.endpoint() {
        if let Some(address) = e.address() {
            o = o.attr("Endpoint.Address", address);
        }
        if let Some(port) = e.port() {
            o = o.attr("Endpoint.Port", port.to_string());
        }
    }
    if let Some(arn) = db.master_user_secret().and_then(|m| m.secret_arn()) {
        o = o.attr("MasterUserSecret.SecretArn", arn);
    }
    if let Some(arn) = db.db_instance_arn() {
        o = o.attr("DBInstanceArn", arn);
    }
    let sgs: Vec<Json> = active_security_groups(db).into_iter().map(Json::String).collect();
    let source = db.read_replica_source_db_instance_identifier();
    let mut o = o
        .prop("DBInstanceIdentifier", db.db_instance_identifier().unwrap_or_default())
        .prop("SourceDBInstanceIdentifier", source.map_or(Json::Null, |s| Json::String(s.to_owned())))
        .prop("Engine", db.engine().unwrap_or_default())
        .prop("EngineVersion", db.engine_version().unwrap_or_default())
        .prop("DBInstanceClass", db.db_instance_class().unwrap_or_default())
        .prop("StorageType", db.storage_type().unwrap_or_default())
        .prop("MultiAZ", db.multi_az().unwrap_or(false))
        .prop("PubliclyAccessible", db.publicly_accessible().unwrap_or(false))
        .prop("DeletionProtection", db.deletion_protection().unwrap_or(false))
        .prop("VPCSecurityGroups", sgs);
    if source.is_none() {
        // A replica's storage, encryption and backups are its source's: its template leaves
        // them out.
        o = o
            .prop("AllocatedStorage", db.allocated_storage().unwrap_or(0).to_string())
            .prop("StorageEncrypted", db.storage_encrypted().unwrap_or(false))
            .prop("BackupRetentionPeriod", db.backup_retention_period().unwrap_or(0));
    }
    if let Some(group) = db.db_subnet_group().and_then(|g| g.db_subnet_group_name()) {
        o = o.prop("DBSubnetGroupName", group);
    }
    if let Some(group) = db.db_parameter_groups().first().and_then(|g| g.db_parameter_group_name()) {
        o = o.prop("DBParameterGroupName", group);
    }
    o
}

pub(super) async fn delete_instance(ctx: &Ctx<'_>, current: &Observed) -> Result<(), AwsError> {
    let rds = &ctx.clients.rds;
    let id = current.id.as_str();
    let identifier = current.physical_id.as_str();
    let Some(db) = find_instance(ctx, id, identifier).await? else { return Ok(()) };
    if db.db_instance_status() != Some("deleting") {
        if db.deletion_protection() == Some(true) {
            let exists = ctx
                .wait_for(id, "modifiable (to turn deletion protection off)", || async move {
                    let r = rds
                        .modify_db_instance()
                        .db_instance_identifier(identifier)
                        .deletion_protection(false)
                        .apply_immediately(true)
                        .send()
                        .await;
                    match r {
                        Ok(_) => Ok(Some(true)),
                        Err(e) if e.as_service_error().is_some_and(aws_sdk_rds::operation::modify_db_instance::ModifyDBInstanceError::is_db_instance_not_found_fault) => Ok(Some(false)),
                        Err(e) if e.as_service_error().is_some_and(aws_sdk_rds::operation::modify_db_instance::ModifyDBInstanceError::is_invalid_db_instance_state_fault) || crate::services::is_throttling(&e) => {
                            Ok(None)
                        }
                        Err(e) => Err(ctx.sdk_error(id, "rds:ModifyDBInstance", e)),
                    }
                })
                .await?;
            if !exists {
                return Ok(());
            }
        }
        // A replica holds no data of its own, and RDS refuses a final snapshot of one.
        let replica = db.read_replica_source_db_instance_identifier().is_some();
        let seconds = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let snapshot = (!replica).then(|| format!("{identifier}-final-{seconds}"));
        ctx.wait_for(id, "deletable", || {
            let snapshot = snapshot.clone();
            async move {
                let r = rds
                    .delete_db_instance()
                    .db_instance_identifier(identifier)
                    .skip_final_snapshot(snapshot.is_none())
                    .set_final_db_snapshot_identifier(snapshot)
                    .send()
                    .await;
                match r {
                    Ok(_) => Ok(Some(())),
                    Err(e) if e.as_service_error().is_some_and(aws_sdk_rds::operation::delete_db_instance::DeleteDBInstanceError::is_db_instance_not_found_fault) => Ok(Some(())),
                    // Still busy (modifying, backing up): try again at the next poll.
                    Err(e) if e.as_service_error().is_some_and(aws_sdk_rds::operation::delete_db_instance::DeleteDBInstanceError::is_invalid_db_instance_state_fault) || crate::services::is_throttling(&e) => {
                        Ok(None)
                    }
                    // Deletion protection not yet off everywhere: poll again.
                    Err(e) if code(&e) == Some("InvalidParameterCombination") && e.message().is_some_and(|m| m.to_lowercase().contains("protect")) => {
                        Ok(None)
                    }
                    Err(e) => Err(ctx.sdk_error(id, "rds:DeleteDBInstance", e)),
                }
            }
        })
        .await?;
    }
    ctx.wait_gone(id, || find_instance(ctx, id, identifier)).await
}

pub(super) async fn discover_instances(ctx: &Ctx<'_>) -> Result<Vec<Observed>, AwsError> {
    let rds = &ctx.clients.rds;
    let mut found = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let m = marker.clone();
        let out = ctx
            .retry("-", "rds:DescribeDBInstances", &[], || rds.describe_db_instances().set_marker(m.clone()).send())
            .await?;
        for db in out.db_instances() {
            let mut tags = tag_pairs(db.tag_list());
            if let (true, Some(arn)) = (tags.is_empty(), db.db_instance_arn()) {
                tags = list_tags(ctx, arn).await?;
            }
            if let Some((id, hash)) = ctx.ours(&tags) {
                let mut o = observe_instance(id, db);
                o.hash = hash;
                found.push(o);
            }
        }
        marker = out.marker().map(str::to_owned);
        if marker.is_none() {
            break;
        }
    }
    Ok(found)
}
