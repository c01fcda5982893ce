//! `Cache`: a private ElastiCache Redis OSS replication group (primary plus replicas across
//! zones, automatic failover, encrypted at rest and in transit) with its subnet group, optional
//! parameter group and a security group closed until tiers are admitted with
//! [`Cache::allow_from`], like [`super::Database`].

use indexmap::IndexMap;

use crate::model::{CacheParameterGroup, CacheReplicationGroup, CacheSubnetGroup, Handle, SecurityGroup};
use crate::patterns::network::Network;
use crate::stack::StackBuilder;
use crate::value::{SecretRef, Value};

/// What a cache looks like.
#[derive(Debug, Clone)]
pub struct CacheProps<'a> {
    /// Prefix of every logical id, e.g. `Cache`.
    pub name: &'a str,
    /// Where it runs (private subnets).
    pub network: &'a Network,
    /// Redis OSS version, e.g. `7.1`.
    pub engine_version: String,
    /// Parameter group family, e.g. `redis7`.
    pub family: String,
    /// Engine parameters; none: the family's default group.
    pub parameters: IndexMap<String, String>,
    /// Node type, e.g. `cache.t4g.medium`.
    pub node_type: String,
    /// Replicas of the primary (1 or more for Multi-AZ).
    pub replicas: u32,
    /// Replicas in other zones and automatic failover.
    pub multi_az: bool,
    /// Days of automatic snapshots.
    pub snapshot_retention_days: u32,
    /// A Redis `AUTH` token (a secret reference), when the clients send one.
    pub auth_token: Option<SecretRef>,
}

impl<'a> CacheProps<'a> {
    /// Redis 7.1 on `cache.t4g.micro` with one replica in a second zone (Multi-AZ with automatic
    /// failover), 7 days of snapshots, no AUTH token (TLS in transit and encryption at rest are
    /// always on). Change what differs with struct update syntax.
    pub fn redis(name: &'a str, network: &'a Network) -> Self {
        Self {
            name,
            network,
            engine_version: "7.1".into(),
            family: "redis7".into(),
            parameters: IndexMap::new(),
            node_type: "cache.t4g.micro".into(),
            replicas: 1,
            multi_az: true,
            snapshot_retention_days: 7,
            auth_token: None,
        }
    }
}

/// Handles of a cache.
#[derive(Debug, Clone)]
pub struct Cache {
    /// The replication group.
    pub group: Handle<CacheReplicationGroup>,
    /// Its security group.
    pub security_group: Handle<SecurityGroup>,
    /// The port.
    pub port: u16,
    name: String,
}

impl Cache {
    /// Adds the cache's resources.
    pub fn create(stack: &mut StackBuilder, p: CacheProps<'_>) -> Self {
        stack.pattern("Cache", p.name, |stack| Self::add_resources(stack, p))
    }

    /// [`Self::create`] inside its pattern scope.
    fn add_resources(stack: &mut StackBuilder, p: CacheProps<'_>) -> Self {
        let n = p.name;
        let port = 6379;
        let sg = stack.add(
            &format!("{n}SecurityGroup"),
            SecurityGroup {
                description: format!("{} {} {n}: admits only the named tiers", stack.name(), stack.env()),
                vpc_id: p.network.vpc_id.clone(),
                ingress: Vec::new(),
                egress: Vec::new(),
            },
        );
        let subnets = stack.add(
            &format!("{n}SubnetGroup"),
            CacheSubnetGroup {
                description: format!("{} {} {n} private subnets", stack.name(), stack.env()),
                subnet_ids: p.network.private_subnets.clone(),
            },
        );
        let params = (!p.parameters.is_empty()).then(|| {
            stack
                .add(
                    &format!("{n}ParameterGroup"),
                    CacheParameterGroup {
                        description: format!("{} {} {n} parameters", stack.name(), stack.env()),
                        family: p.family.clone(),
                        parameters: p.parameters.clone(),
                    },
                )
                .name()
        });
        let has_token = p.auth_token.is_some();
        let group = stack.add_with(
            &format!("{n}ReplicationGroup"),
            CacheReplicationGroup {
                replication_group_id: None,
                description: format!("{} {} {n}", stack.name(), stack.env()),
                engine_version: p.engine_version,
                node_type: p.node_type.into(),
                num_cache_clusters: p.replicas + 1,
                port: Some(port),
                automatic_failover: p.multi_az,
                multi_az: p.multi_az,
                at_rest_encryption: true,
                transit_encryption: true,
                auth_token: p.auth_token,
                security_group_ids: vec![sg.group_id()],
                subnet_group_name: subnets.name(),
                parameter_group_name: params,
                snapshot_retention_days: p.snapshot_retention_days,
                snapshot_window: Some("03:00-04:00".into()),
                maintenance_window: Some("sun:05:00-sun:06:00".into()),
                auto_minor_version_upgrade: true,
            },
            |e| {
                e.suppressions.push(super::suppress(
                    "CKV_AWS_191",
                    "encrypted at rest with the AWS-managed ElastiCache key; the stack holds no customer-managed KMS key",
                ));
                if !has_token {
                    e.suppressions.push(super::suppress(
                        "CKV_AWS_31",
                        "TLS is required and the security group admits only the app tiers; the app's Redis client sends no AUTH token",
                    ));
                }
            },
        );
        Self { group, security_group: sg, port, name: n.to_owned() }
    }

    /// Admits `tier` (a host, web tier, container service, or `("Name", &group)`) on the
    /// cache's port: a rule resource `<Cache>From<tier>`.
    pub fn allow_from(&self, stack: &mut StackBuilder, tier: &impl super::Tier) {
        self.allow_from_group(stack, tier.tier_name(), tier.tier_group().group_id());
    }

    /// Admits a security group given by id on the cache's port, as the tier `label`.
    pub fn allow_from_group(&self, stack: &mut StackBuilder, label: &str, group_id: Value<String>) {
        super::admit(stack, &self.name, &self.security_group, self.port, label, group_id, "redis");
    }

    /// The primary endpoint's host name (reads and writes).
    pub fn primary_endpoint(&self) -> Value<String> {
        self.group.primary_endpoint_address()
    }
}
