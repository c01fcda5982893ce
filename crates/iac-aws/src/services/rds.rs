//! RDS: `AWS::RDS::DBSubnetGroup`, `AWS::RDS::DBParameterGroup` and `AWS::RDS::DBInstance`.
//!
//! All three kinds are tagged in their create call (`Tags`), so a killed run never leaves an
//! untagged resource; discovery lists instances (their `TagList` comes with them), subnet groups
//! and parameter groups (tags through `ListTagsForResource`) and keeps those whose `iac:*` tags
//! name this stack and environment.
//!
//! - Parameter groups: parameters are set with `ModifyDBParameterGroup`, 20 at a time. A static
//!   parameter (the group's own `ApplyType` where AWS reports it, else a short list of known
//!   static names such as `innodb_log_file_size`) uses `pending-reboot`, others `immediate`.
//!   Parameters removed from the stack are reset to the engine default.
//! - Instances: created with every property of the template (the master password is always
//!   managed by RDS in Secrets Manager; a password literal never reaches this engine) and waited
//!   on until `available`. Updates diff the template against a fresh `DescribeDBInstances` and
//!   send only what differs, in one `ModifyDBInstance` with `ApplyImmediately`.
//! - Deleting an instance is the data-safety path: deletion protection is turned off, then the
//!   instance is deleted with a final snapshot `<identifier>-final-<unix seconds>` (never
//!   `SkipFinalSnapshot`), and the call returns once the instance is gone. The engine only calls
//!   it when the user allowed data loss.

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::time::{SystemTime, UNIX_EPOCH};

use aws_sdk_rds::operation::describe_db_instances::DescribeDBInstancesError;
use aws_sdk_rds::operation::describe_db_parameter_groups::DescribeDBParameterGroupsError;
use aws_sdk_rds::operation::describe_db_subnet_groups::DescribeDBSubnetGroupsError;
use aws_sdk_rds::types::{
    ApplyMethod, CloudwatchLogsExportConfiguration, DbInstance, DbParameterGroup, DbSubnetGroup, Parameter,
};
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use iac_core::LogicalId;
use iac_core::model::{self, ResourceEntry};
use serde::Deserialize;
use serde_json::{Map, Value as Json};

use super::{Ctx, absent, paged_items, sdk_tags, tag_pairs};
use crate::adapter::{self, Adapter, CfnTag, Desired, SdkKind, de};
use crate::error::AwsError;
use crate::state::{self, Observed, Tags};

/// Parameters AWS applies only at reboot, for when the group does not report `ApplyType`
/// (moto, or a parameter unknown to the family).
const STATIC_PARAMETERS: [&str; 22] = [
    "innodb_log_file_size",
    "innodb_log_files_in_group",
    "innodb_buffer_pool_instances",
    "innodb_log_buffer_size",
    "innodb_read_io_threads",
    "innodb_write_io_threads",
    "innodb_open_files",
    "innodb_page_size",
    "lower_case_table_names",
    "performance_schema",
    "table_open_cache_instances",
    "shared_buffers",
    "shared_preload_libraries",
    "max_worker_processes",
    "max_wal_senders",
    "max_replication_slots",
    "max_locks_per_transaction",
    "max_prepared_transactions",
    "wal_buffers",
    "huge_pages",
    "track_activity_query_size",
    "rds.logical_replication",
];

/// The desired properties of an `AWS::RDS::DBInstance` (a primary; the master password is
/// always managed by RDS).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct DbInstanceProps {
    #[serde(rename = "DBInstanceIdentifier", deserialize_with = "de::text")]
    pub(crate) db_instance_identifier: String,
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

/// The desired properties of an `AWS::RDS::DBSubnetGroup`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct DbSubnetGroupProps {
    #[serde(rename = "DBSubnetGroupName")]
    pub(crate) db_subnet_group_name: String,
    #[serde(rename = "DBSubnetGroupDescription")]
    pub(crate) db_subnet_group_description: String,
    pub(crate) subnet_ids: Vec<String>,
    #[serde(default)]
    pub(crate) tags: Vec<CfnTag>,
}

impl Desired for DbSubnetGroupProps {
    fn template_tags(&self) -> Vec<(&str, &str)> {
        adapter::pairs(&self.tags)
    }
}

/// The desired properties of an `AWS::RDS::DBParameterGroup`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct DbParameterGroupProps {
    #[serde(rename = "DBParameterGroupName")]
    pub(crate) db_parameter_group_name: String,
    pub(crate) description: String,
    pub(crate) family: String,
    #[serde(default, deserialize_with = "de::text_map")]
    pub(crate) parameters: BTreeMap<String, String>,
    #[serde(default)]
    pub(crate) tags: Vec<CfnTag>,
}

impl Desired for DbParameterGroupProps {
    fn template_tags(&self) -> Vec<(&str, &str)> {
        adapter::pairs(&self.tags)
    }
}

impl Adapter for model::DbSubnetGroup {
    type Props = DbSubnetGroupProps;
    const REPLACED_BY: &'static [&'static str] = &["DBSubnetGroupName"];

    /// Creates the subnet group.
    async fn create(
        ctx: &Ctx<'_>,
        entry: &ResourceEntry,
        props: &DbSubnetGroupProps,
        tags: &Tags,
    ) -> Result<Observed, AwsError> {
        let mut observed = create_subnet_group(ctx, entry, props, tags).await?;
        observed.hash = state::hash_of(tags);
        Ok(observed)
    }

    /// Description and subnets change in place; tags are rewritten.
    async fn update(
        ctx: &Ctx<'_>,
        entry: &ResourceEntry,
        current: &Observed,
        props: &DbSubnetGroupProps,
        tags: &Tags,
    ) -> Result<Observed, AwsError> {
        let mut observed = update_subnet_group(ctx, entry, current, props, tags).await?;
        observed.hash = state::hash_of(tags);
        Ok(observed)
    }

    /// Deletes the group once no instance holds it.
    async fn delete(ctx: &Ctx<'_>, current: &Observed) -> Result<(), AwsError> {
        delete_subnet_group(ctx, current).await
    }
}

impl Adapter for model::DbParameterGroup {
    type Props = DbParameterGroupProps;
    const REPLACED_BY: &'static [&'static str] = &["DBParameterGroupName", "Family", "Description"];

    /// Creates the parameter group with its parameters.
    async fn create(
        ctx: &Ctx<'_>,
        entry: &ResourceEntry,
        props: &DbParameterGroupProps,
        tags: &Tags,
    ) -> Result<Observed, AwsError> {
        let mut observed = create_parameter_group(ctx, entry, props, tags).await?;
        observed.hash = state::hash_of(tags);
        Ok(observed)
    }

    /// Parameters change in place (removed ones are reset); tags are rewritten.
    async fn update(
        ctx: &Ctx<'_>,
        entry: &ResourceEntry,
        current: &Observed,
        props: &DbParameterGroupProps,
        tags: &Tags,
    ) -> Result<Observed, AwsError> {
        let mut observed = update_parameter_group(ctx, entry, current, props, tags).await?;
        observed.hash = state::hash_of(tags);
        Ok(observed)
    }

    /// Deletes the group once no instance holds it.
    async fn delete(ctx: &Ctx<'_>, current: &Observed) -> Result<(), AwsError> {
        delete_parameter_group(ctx, current).await
    }
}

impl Adapter for model::DbInstance {
    type Props = DbInstanceProps;
    const REPLACED_BY: &'static [&'static str] = &[
        "DBInstanceIdentifier",
        "Engine",
        "DBName",
        "MasterUsername",
        "StorageEncrypted",
        "KmsKeyId",
        "AvailabilityZone",
        "DBSubnetGroupName",
        "CharacterSetName",
        "Timezone",
    ];
    const STATEFUL: bool = true;

    /// Creates the instance and waits until it is `available`.
    async fn create(
        ctx: &Ctx<'_>,
        entry: &ResourceEntry,
        props: &DbInstanceProps,
        tags: &Tags,
    ) -> Result<Observed, AwsError> {
        let mut observed = create_instance(ctx, entry, props, tags).await?;
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

    /// Deletion protection off, then a delete with a final snapshot (see the module docs).
    async fn delete(ctx: &Ctx<'_>, current: &Observed) -> Result<(), AwsError> {
        delete_instance(ctx, current).await
    }
}

/// Finds this stack's instances, subnet groups and parameter groups by their `iac:*` tags.
pub async fn discover(ctx: &Ctx<'_>) -> Result<Vec<Observed>, AwsError> {
    // Boxed: the three futures together are large (the SDK's request builders).
    let (instances, subnet_groups, parameter_groups) = tokio::join!(
        Box::pin(discover_instances(ctx)),
        Box::pin(discover_subnet_groups(ctx)),
        Box::pin(discover_parameter_groups(ctx))
    );
    let mut out = instances?;
    out.extend(subnet_groups?);
    out.extend(parameter_groups?);
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Helpers

fn code<E: ProvideErrorMetadata, R>(err: &SdkError<E, R>) -> Option<&str> {
    err.code()
}

async fn add_tags(ctx: &Ctx<'_>, id: &str, arn: &str, tags: &Tags) -> Result<(), AwsError> {
    let rds = &ctx.clients.rds;
    let tags = sdk_tags(tags);
    ctx.retry(id, "rds:AddTagsToResource", &[], || {
        rds.add_tags_to_resource().resource_name(arn).set_tags(Some(tags.clone())).send()
    })
    .await?;
    Ok(())
}

async fn list_tags(ctx: &Ctx<'_>, arn: &str) -> Result<Vec<(String, String)>, AwsError> {
    let rds = &ctx.clients.rds;
    let out = ctx
        .retry("-", "rds:ListTagsForResource", &[], || rds.list_tags_for_resource().resource_name(arn).send())
        .await?;
    Ok(tag_pairs(out.tag_list()))
}

// ---------------------------------------------------------------------------------------------
// Subnet groups

async fn create_subnet_group(
    ctx: &Ctx<'_>,
    entry: &ResourceEntry,
    props: &DbSubnetGroupProps,
    tags: &Tags,
) -> Result<Observed, AwsError> {
    let id = entry.id.as_str();
    let rds = &ctx.clients.rds;
    let name = &props.db_subnet_group_name;
    let description = &props.db_subnet_group_description;
    let subnets = &props.subnet_ids;
    let rds_tags = sdk_tags(tags);
    ctx.retry(id, "rds:CreateDBSubnetGroup", &["InvalidSubnet"], || {
        rds.create_db_subnet_group()
            .db_subnet_group_name(name)
            .db_subnet_group_description(description)
            .set_subnet_ids(Some(subnets.clone()))
            .set_tags(Some(rds_tags.clone()))
            .send()
    })
    .await?;
    let group = find_subnet_group(ctx, id, name).await?;
    group.map(|g| observe_subnet_group(entry.id.clone(), &g)).ok_or_else(|| vanished(ctx, id, name))
}

async fn update_subnet_group(
    ctx: &Ctx<'_>,
    entry: &ResourceEntry,
    current: &Observed,
    props: &DbSubnetGroupProps,
    tags: &Tags,
) -> Result<Observed, AwsError> {
    let id = entry.id.as_str();
    let rds = &ctx.clients.rds;
    let name = current.physical_id.as_str();
    let description = &props.db_subnet_group_description;
    let subnets = &props.subnet_ids;
    ctx.retry(id, "rds:ModifyDBSubnetGroup", &["InvalidSubnet"], || {
        rds.modify_db_subnet_group()
            .db_subnet_group_name(name)
            .db_subnet_group_description(description)
            .set_subnet_ids(Some(subnets.clone()))
            .send()
    })
    .await?;
    let group = find_subnet_group(ctx, id, name).await?.ok_or_else(|| vanished(ctx, id, name))?;
    if let Some(arn) = group.db_subnet_group_arn() {
        add_tags(ctx, id, arn, tags).await?;
    }
    Ok(observe_subnet_group(entry.id.clone(), &group))
}

async fn delete_subnet_group(ctx: &Ctx<'_>, current: &Observed) -> Result<(), AwsError> {
    let rds = &ctx.clients.rds;
    let name = current.physical_id.as_str();
    delete_when_free(
        ctx,
        current.id.as_str(),
        "deletable (no instance uses the subnet group)",
        "rds:DeleteDBSubnetGroup",
        || rds.delete_db_subnet_group().db_subnet_group_name(name).send(),
        aws_sdk_rds::operation::delete_db_subnet_group::DeleteDBSubnetGroupError::is_db_subnet_group_not_found_fault,
        aws_sdk_rds::operation::delete_db_subnet_group::DeleteDBSubnetGroupError::is_invalid_db_subnet_group_state_fault,
    )
    .await
}

async fn find_subnet_group(ctx: &Ctx<'_>, id: &str, name: &str) -> Result<Option<DbSubnetGroup>, AwsError> {
    let rds = &ctx.clients.rds;
    let out = ctx
        .retry(id, "rds:DescribeDBSubnetGroups", &[], || async move {
            absent(
                rds.describe_db_subnet_groups().db_subnet_group_name(name).send().await,
                DescribeDBSubnetGroupsError::is_db_subnet_group_not_found_fault,
            )
        })
        .await?;
    Ok(out.and_then(|o| o.db_subnet_groups().first().cloned()))
}

fn observe_subnet_group(id: LogicalId, g: &DbSubnetGroup) -> Observed {
    let name = g.db_subnet_group_name().unwrap_or_default();
    let subnets: Vec<Json> =
        g.subnets().iter().filter_map(|s| s.subnet_identifier()).map(|s| Json::String(s.to_owned())).collect();
    Observed::new(id, SdkKind::DbSubnetGroup.cfn_type(), name)
        .prop("DBSubnetGroupName", name)
        .prop("DBSubnetGroupDescription", g.db_subnet_group_description().unwrap_or_default())
        .prop("SubnetIds", subnets)
}

async fn discover_subnet_groups(ctx: &Ctx<'_>) -> Result<Vec<Observed>, AwsError> {
    let rds = &ctx.clients.rds;
    let groups = paged_items(
        ctx,
        "-",
        "rds:DescribeDBSubnetGroups",
        |m| rds.describe_db_subnet_groups().set_marker(m).send(),
        |o| (o.db_subnet_groups(), o.marker()),
    )
    .await?;
    let mut found = Vec::new();
    for g in groups.iter().filter(|g| g.db_subnet_group_name() != Some("default")) {
        let Some(arn) = g.db_subnet_group_arn() else { continue };
        let tags = list_tags(ctx, arn).await?;
        if let Some((id, hash)) = ctx.ours(&tags) {
            let mut o = observe_subnet_group(id, g);
            o.hash = hash;
            found.push(o);
        }
    }
    Ok(found)
}

/// Deletes a group with `call`, polling while an instance still holds it (`busy`, or
/// throttled); `gone` means it is deleted already.
async fn delete_when_free<O, E, R, F, Fut>(
    ctx: &Ctx<'_>,
    id: &str,
    state: &str,
    action: &str,
    call: F,
    gone: fn(&E) -> bool,
    busy: fn(&E) -> bool,
) -> Result<(), AwsError>
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<O, SdkError<E, R>>>,
    E: std::error::Error + ProvideErrorMetadata + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    let call = &call;
    // An instance being deleted still holds the group for a while.
    ctx.wait_for(id, state, move || async move {
        match call().await {
            Ok(_) => Ok(Some(())),
            Err(e) if e.as_service_error().is_some_and(gone) => Ok(Some(())),
            Err(e) if e.as_service_error().is_some_and(busy) => Ok(None),
            Err(e) if super::is_throttling(&e) => Ok(None),
            Err(e) => Err(ctx.sdk_error(id, action, e)),
        }
    })
    .await
}

fn vanished(ctx: &Ctx<'_>, id: &str, name: &str) -> AwsError {
    ctx.fail(id, "rds:Describe", format!("`{name}` was created but cannot be read back; re-run (apply resumes)"))
}

// ---------------------------------------------------------------------------------------------
// Parameter groups

async fn create_parameter_group(
    ctx: &Ctx<'_>,
    entry: &ResourceEntry,
    props: &DbParameterGroupProps,
    tags: &Tags,
) -> Result<Observed, AwsError> {
    let id = entry.id.as_str();
    let rds = &ctx.clients.rds;
    let name = props.db_parameter_group_name.clone();
    let family = &props.family;
    let description = &props.description;
    // The hash tag goes on last, once the parameters are set: a run killed in between leaves a
    // group without a hash, which the next plan updates instead of trusting.
    let (hash, ownership) = state::split_hash(tags);
    let rds_tags = sdk_tags(&ownership);
    ctx.retry(id, "rds:CreateDBParameterGroup", &[], || {
        rds.create_db_parameter_group()
            .db_parameter_group_name(&name)
            .db_parameter_group_family(family)
            .description(description)
            .set_tags(Some(rds_tags.clone()))
            .send()
    })
    .await?;
    set_parameters(ctx, id, &name, &props.parameters, &BTreeMap::new()).await?;
    let group = find_parameter_group(ctx, id, &name).await?.ok_or_else(|| vanished(ctx, id, &name))?;
    if let Some(arn) = group.db_parameter_group_arn() {
        add_tags(ctx, id, arn, &hash).await?;
    }
    observe_parameter_group(ctx, entry.id.clone(), &group).await
}

async fn update_parameter_group(
    ctx: &Ctx<'_>,
    entry: &ResourceEntry,
    current: &Observed,
    props: &DbParameterGroupProps,
    tags: &Tags,
) -> Result<Observed, AwsError> {
    let id = entry.id.as_str();
    let name = current.physical_id.as_str();
    let now = user_parameters(ctx, id, name).await?;
    set_parameters(ctx, id, name, &props.parameters, &now).await?;
    let group = find_parameter_group(ctx, id, name).await?.ok_or_else(|| vanished(ctx, id, name))?;
    if let Some(arn) = group.db_parameter_group_arn() {
        add_tags(ctx, id, arn, tags).await?;
    }
    observe_parameter_group(ctx, entry.id.clone(), &group).await
}

/// Sets what differs from `now` and resets what `now` has but `desired` does not.
async fn set_parameters(
    ctx: &Ctx<'_>,
    id: &str,
    name: &str,
    desired: &BTreeMap<String, String>,
    now: &BTreeMap<String, String>,
) -> Result<(), AwsError> {
    let changed: Vec<(&String, &String)> = desired.iter().filter(|(k, v)| now.get(*k) != Some(*v)).collect();
    let removed: Vec<&String> = now.keys().filter(|k| !desired.contains_key(*k)).collect();
    if changed.is_empty() && removed.is_empty() {
        return Ok(());
    }
    let apply_types = apply_types(ctx, id, name).await?;
    let method = |param: &str| match apply_types.get(param).map(String::as_str) {
        Some("static") => ApplyMethod::PendingReboot,
        None if STATIC_PARAMETERS.contains(&param) => ApplyMethod::PendingReboot,
        _ => ApplyMethod::Immediate,
    };
    let rds = &ctx.clients.rds;
    let params: Vec<Parameter> = changed
        .iter()
        .map(|(k, v)| Parameter::builder().parameter_name(*k).parameter_value(*v).apply_method(method(k)).build())
        .collect();
    in_batches(ctx, id, "rds:ModifyDBParameterGroup", &params, |batch| {
        rds.modify_db_parameter_group().db_parameter_group_name(name).set_parameters(Some(batch)).send()
    })
    .await?;
    let resets: Vec<Parameter> =
        removed.iter().map(|k| Parameter::builder().parameter_name(*k).apply_method(method(k)).build()).collect();
    in_batches(ctx, id, "rds:ResetDBParameterGroup", &resets, |batch| {
        rds.reset_db_parameter_group().db_parameter_group_name(name).set_parameters(Some(batch)).send()
    })
    .await
}

/// Sends `params` with `call` 20 at a time (the API's limit), retrying while the group is busy.
async fn in_batches<O, E, R, F, Fut>(
    ctx: &Ctx<'_>,
    id: &str,
    action: &str,
    params: &[Parameter],
    call: F,
) -> Result<(), AwsError>
where
    F: Fn(Vec<Parameter>) -> Fut,
    Fut: Future<Output = Result<O, SdkError<E, R>>>,
    E: std::error::Error + ProvideErrorMetadata + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    for batch in params.chunks(20) {
        ctx.retry(id, action, &["InvalidDBParameterGroupState"], || call(batch.to_vec())).await?;
    }
    Ok(())
}

/// `static` or `dynamic` for every parameter the group reports (all of the family's on AWS).
async fn apply_types(ctx: &Ctx<'_>, id: &str, name: &str) -> Result<BTreeMap<String, String>, AwsError> {
    let mut out = BTreeMap::new();
    for p in parameters(ctx, id, name, None).await? {
        if let (Some(n), Some(t)) = (p.parameter_name(), p.apply_type()) {
            out.insert(n.to_owned(), t.to_owned());
        }
    }
    Ok(out)
}

/// The parameters set by the user (not engine or system defaults), name to value.
async fn user_parameters(ctx: &Ctx<'_>, id: &str, name: &str) -> Result<BTreeMap<String, String>, AwsError> {
    Ok(parameters(ctx, id, name, Some("user"))
        .await?
        .iter()
        .filter(|p| p.source().is_none_or(|s| s == "user"))
        .filter_map(|p| Some((p.parameter_name()?.to_owned(), p.parameter_value()?.to_owned())))
        .collect())
}

async fn parameters(ctx: &Ctx<'_>, id: &str, name: &str, source: Option<&str>) -> Result<Vec<Parameter>, AwsError> {
    let rds = &ctx.clients.rds;
    paged_items(
        ctx,
        id,
        "rds:DescribeDBParameters",
        |m| {
            rds.describe_db_parameters()
                .db_parameter_group_name(name)
                .set_source(source.map(str::to_owned))
                .set_marker(m)
                .send()
        },
        |o| (o.parameters(), o.marker()),
    )
    .await
}

async fn delete_parameter_group(ctx: &Ctx<'_>, current: &Observed) -> Result<(), AwsError> {
    let rds = &ctx.clients.rds;
    let name = current.physical_id.as_str();
    delete_when_free(
        ctx,
        current.id.as_str(),
        "deletable (no instance uses the parameter group)",
        "rds:DeleteDBParameterGroup",
        || rds.delete_db_parameter_group().db_parameter_group_name(name).send(),
        aws_sdk_rds::operation::delete_db_parameter_group::DeleteDBParameterGroupError::is_db_parameter_group_not_found_fault,
        aws_sdk_rds::operation::delete_db_parameter_group::DeleteDBParameterGroupError::is_invalid_db_parameter_group_state_fault,
    )
    .await
}

async fn find_parameter_group(ctx: &Ctx<'_>, id: &str, name: &str) -> Result<Option<DbParameterGroup>, AwsError> {
    let rds = &ctx.clients.rds;
    let out = ctx
        .retry(id, "rds:DescribeDBParameterGroups", &[], || async move {
            absent(
                rds.describe_db_parameter_groups().db_parameter_group_name(name).send().await,
                DescribeDBParameterGroupsError::is_db_parameter_group_not_found_fault,
            )
        })
        .await?;
    Ok(out.and_then(|o| o.db_parameter_groups().first().cloned()))
}

async fn observe_parameter_group(ctx: &Ctx<'_>, id: LogicalId, g: &DbParameterGroup) -> Result<Observed, AwsError> {
    let name = g.db_parameter_group_name().unwrap_or_default();
    let params: Map<String, Json> =
        user_parameters(ctx, id.as_str(), name).await?.into_iter().map(|(k, v)| (k, Json::String(v))).collect();
    Ok(Observed::new(id, SdkKind::DbParameterGroup.cfn_type(), name)
        .prop("DBParameterGroupName", name)
        .prop("Family", g.db_parameter_group_family().unwrap_or_default())
        .prop("Description", g.description().unwrap_or_default())
        .prop("Parameters", Json::Object(params)))
}

async fn discover_parameter_groups(ctx: &Ctx<'_>) -> Result<Vec<Observed>, AwsError> {
    let rds = &ctx.clients.rds;
    let groups = paged_items(
        ctx,
        "-",
        "rds:DescribeDBParameterGroups",
        |m| rds.describe_db_parameter_groups().set_marker(m).send(),
        |o| (o.db_parameter_groups(), o.marker()),
    )
    .await?;
    let mut found = Vec::new();
    // `default.*` groups belong to AWS and cannot be tagged.
    for g in groups.iter().filter(|g| !g.db_parameter_group_name().unwrap_or_default().starts_with("default.")) {
        let Some(arn) = g.db_parameter_group_arn() else { continue };
        let tags = list_tags(ctx, arn).await?;
        if let Some((id, hash)) = ctx.ours(&tags) {
            let mut o = observe_parameter_group(ctx, id, g).await?;
            o.hash = hash;
            found.push(o);
        }
    }
    Ok(found)
}

// ---------------------------------------------------------------------------------------------
// Instances

async fn create_instance(
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

#[allow(clippy::too_many_lines)] // one block per setting ModifyDBInstance can change
async fn update_instance(
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
enum ModifyFlag {
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
fn newer(a: &str, b: &str) -> bool {
    let parts = |v: &str| v.split('.').map(|p| p.parse::<u64>().unwrap_or(0)).collect::<Vec<_>>();
    parts(a) > parts(b)
}

fn active_security_groups(db: &DbInstance) -> Vec<String> {
    db.vpc_security_groups()
        .iter()
        .filter(|g| g.status() != Some("removing"))
        .filter_map(|g| g.vpc_security_group_id().map(str::to_owned))
        .collect()
}

async fn find_instance(ctx: &Ctx<'_>, id: &str, identifier: &str) -> Result<Option<DbInstance>, AwsError> {
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
async fn wait_settled(ctx: &Ctx<'_>, id: &str, identifier: &str) -> Result<DbInstance, AwsError> {
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

fn has_pending(p: &aws_sdk_rds::types::PendingModifiedValues) -> bool {
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

fn observe_instance(id: LogicalId, db: &DbInstance) -> Observed {
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
    o.prop("DBInstanceIdentifier", db.db_instance_identifier().unwrap_or_default())
        .prop("Engine", db.engine().unwrap_or_default())
        .prop("EngineVersion", db.engine_version().unwrap_or_default())
        .prop("DBInstanceClass", db.db_instance_class().unwrap_or_default())
        .prop("AllocatedStorage", db.allocated_storage().unwrap_or(0).to_string())
        .prop("StorageType", db.storage_type().unwrap_or_default())
        .prop("StorageEncrypted", db.storage_encrypted().unwrap_or(false))
        .prop("MultiAZ", db.multi_az().unwrap_or(false))
        .prop("PubliclyAccessible", db.publicly_accessible().unwrap_or(false))
        .prop("BackupRetentionPeriod", db.backup_retention_period().unwrap_or(0))
        .prop("DeletionProtection", db.deletion_protection().unwrap_or(false))
        .prop("VPCSecurityGroups", sgs)
}

async fn delete_instance(ctx: &Ctx<'_>, current: &Observed) -> Result<(), AwsError> {
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
                        Err(e) if e.as_service_error().is_some_and(aws_sdk_rds::operation::modify_db_instance::ModifyDBInstanceError::is_invalid_db_instance_state_fault) || super::is_throttling(&e) => {
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
        let seconds = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let snapshot = format!("{identifier}-final-{seconds}");
        ctx.wait_for(id, "deletable", || {
            let snapshot = snapshot.as_str();
            async move {
                let r = rds
                    .delete_db_instance()
                    .db_instance_identifier(identifier)
                    .skip_final_snapshot(false)
                    .final_db_snapshot_identifier(snapshot)
                    .send()
                    .await;
                match r {
                    Ok(_) => Ok(Some(())),
                    Err(e) if e.as_service_error().is_some_and(aws_sdk_rds::operation::delete_db_instance::DeleteDBInstanceError::is_db_instance_not_found_fault) => Ok(Some(())),
                    // Still busy (modifying, backing up): try again at the next poll.
                    Err(e) if e.as_service_error().is_some_and(aws_sdk_rds::operation::delete_db_instance::DeleteDBInstanceError::is_invalid_db_instance_state_fault) || super::is_throttling(&e) => {
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

async fn discover_instances(ctx: &Ctx<'_>) -> Result<Vec<Observed>, AwsError> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_compare_numerically() {
        assert!(newer("16.10", "16.9"));
        assert!(newer("17.1", "16.4"));
        assert!(!newer("16.4", "16.4"));
        assert!(!newer("16.3", "16.4"));
    }

    #[test]
    fn replacement_properties() {
        assert!(SdkKind::DbInstance.replaced_by().contains(&"DBInstanceIdentifier"));
        assert!(SdkKind::DbInstance.replaced_by().contains(&"StorageEncrypted"));
        assert!(!SdkKind::DbInstance.replaced_by().contains(&"DBInstanceClass"));
        assert_eq!(SdkKind::DbSubnetGroup.replaced_by(), &["DBSubnetGroupName"]);
    }
}
