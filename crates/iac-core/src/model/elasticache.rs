//! ElastiCache (Redis OSS): subnet groups, parameter groups and replication groups.

use indexmap::IndexMap;
use serde::Serialize;

use crate::model::spec::prelude::*;
use crate::value::{Refs, SecretRef, Value};

/// `AWS::ElastiCache::SubnetGroup` / `aws_elasticache_subnet_group`.
#[derive(Debug, Clone, Serialize, Refs)]
pub struct CacheSubnetGroup {
    /// Description.
    pub description: String,
    /// Private subnets in at least two zones (Multi-AZ needs them).
    pub subnet_ids: Vec<Value<String>>,
}

/// `AWS::ElastiCache::ParameterGroup` / `aws_elasticache_parameter_group`.
#[derive(Debug, Clone, Serialize, Refs)]
pub struct CacheParameterGroup {
    /// Description.
    pub description: String,
    /// Family, e.g. `redis7`.
    pub family: String,
    /// Parameters in order.
    pub parameters: IndexMap<String, String>,
}

/// `AWS::ElastiCache::ReplicationGroup` / `aws_elasticache_replication_group`: a Redis OSS
/// primary with replicas (cluster mode off), one node per cache cluster.
#[allow(clippy::struct_excessive_bools)] // mirrors the AWS API's switches one to one
#[derive(Debug, Clone, Serialize, Refs)]
pub struct CacheReplicationGroup {
    /// The replication group id (physical, at most 40 characters); derived when absent.
    pub replication_group_id: Option<String>,
    /// Description (required by AWS).
    pub description: String,
    /// Redis OSS version, e.g. `7.1`.
    pub engine_version: String,
    /// Node type, e.g. `cache.t4g.medium`.
    pub node_type: Value<String>,
    /// Nodes in the group: the primary plus its replicas (2 or more for Multi-AZ).
    pub num_cache_clusters: u32,
    /// Port (6379 when absent).
    pub port: Option<u16>,
    /// Promote a replica when the primary fails.
    pub automatic_failover: bool,
    /// Keep the replicas in other zones than the primary.
    pub multi_az: bool,
    /// Encrypted at rest (validation requires it).
    pub at_rest_encryption: bool,
    /// TLS between clients and nodes (validation requires it).
    pub transit_encryption: bool,
    /// Redis `AUTH` token, only ever a reference.
    pub auth_token: Option<SecretRef>,
    /// Security groups (the cache admits only the named tiers).
    pub security_group_ids: Vec<Value<String>>,
    /// Subnet group name.
    pub subnet_group_name: Value<String>,
    /// Parameter group name (the family's default when absent).
    pub parameter_group_name: Option<Value<String>>,
    /// Days of automatic snapshots (0 = none).
    pub snapshot_retention_days: u32,
    /// Daily snapshot window (UTC), e.g. `03:00-04:00`.
    pub snapshot_window: Option<String>,
    /// Weekly maintenance window, e.g. `sun:05:00-sun:06:00`.
    pub maintenance_window: Option<String>,
    /// Apply minor engine upgrades in the maintenance window.
    pub auto_minor_version_upgrade: bool,
}

impl CacheReplicationGroup {
    /// The port clients connect to.
    pub fn port(&self) -> u16 {
        self.port.unwrap_or(6379)
    }
}

impl ResourceKind for CacheSubnetGroup {
    const SPEC: &'static KindSpec = &KindSpec {
        kind: "CacheSubnetGroup",
        label: "cache subnet group",
        provider: Provider::Aws,
        cloudformation: Some("AWS::ElastiCache::SubnetGroup"),
        terraform: Some("aws_elasticache_subnet_group"),
        attrs: &[by_ref(Attr::Name, "name")],
        naming: Naming::Derived { max: 255 },
        tagging: Tagging::Property("Tags"),
        data: Data::None,
        replacement: crate::replace!["CacheSubnetGroupName"],
        replacement_notes: &[],
        teardown: 9,
    };
}

impl ResourceKind for CacheParameterGroup {
    const SPEC: &'static KindSpec = &KindSpec {
        kind: "CacheParameterGroup",
        label: "cache parameter group",
        provider: Provider::Aws,
        cloudformation: Some("AWS::ElastiCache::ParameterGroup"),
        terraform: Some("aws_elasticache_parameter_group"),
        attrs: &[by_ref(Attr::Name, "name")],
        naming: Naming::Derived { max: 255 },
        tagging: Tagging::Property("Tags"),
        data: Data::None,
        replacement: crate::replace!["CacheParameterGroupFamily": "a parameter group belongs to one engine family"],
        replacement_notes: &[],
        teardown: 10,
    };
}

impl ResourceKind for CacheReplicationGroup {
    const SPEC: &'static KindSpec = &KindSpec {
        kind: "CacheReplicationGroup",
        label: "cache replication group",
        provider: Provider::Aws,
        cloudformation: Some("AWS::ElastiCache::ReplicationGroup"),
        terraform: Some("aws_elasticache_replication_group"),
        attrs: &[
            by_ref(Attr::Id, "id"),
            get_att(Attr::EndpointAddress, "PrimaryEndPoint.Address", "primary_endpoint_address"),
            get_att(Attr::EndpointPort, "PrimaryEndPoint.Port", "port"),
            get_att(Attr::ReaderEndpointAddress, "ReaderEndPoint.Address", "reader_endpoint_address"),
        ],
        naming: Naming::Explicit { max: 40 },
        tagging: Tagging::Property("Tags"),
        data: Data::Holds { keep: Keep::Snapshot },
        replacement: crate::replace!["AtRestEncryptionEnabled": "encryption at rest is chosen when the group is created", "CacheSubnetGroupName", "DataTieringEnabled", "GlobalReplicationGroupId", "KmsKeyId", "NetworkType", "Port", "PreferredCacheClusterAZs", "ReplicationGroupId", "SnapshotArns", "SnapshotName"],
        replacement_notes: &[],
        teardown: 8,
    };
    fn explicit_name(&self) -> Option<&str> {
        self.replication_group_id.as_deref()
    }
    fn explicit_name_mut(&mut self) -> Option<&mut String> {
        self.replication_group_id.as_mut()
    }
}
