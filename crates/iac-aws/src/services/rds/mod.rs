//! RDS: `AWS::RDS::DBSubnetGroup`, `AWS::RDS::DBParameterGroup` and `AWS::RDS::DBInstance`.
//!
//! One file per kind: its desired properties, its [`Adapter`](crate::adapter::Adapter) and its
//! calls; this file holds what they share and discovery.
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

pub mod instance;
pub mod parameter_group;
pub mod subnet_group;

use self::instance::discover_instances;
use self::parameter_group::discover_parameter_groups;
use self::subnet_group::{delete_when_free, discover_subnet_groups, vanished};

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

#[cfg(test)]
mod tests {
    use super::instance::newer;
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
