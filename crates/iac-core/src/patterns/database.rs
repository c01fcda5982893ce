//! `Database`: a private RDS instance with its subnet group, parameter group, security group
//! (closed until tiers are admitted with [`Database::allow_from`]), enhanced monitoring role and
//! an RDS-managed master password in Secrets Manager; read replicas with
//! [`Database::add_read_replica`] (same groups, same parameters, endpoint of their own).

use indexmap::IndexMap;

use crate::model::{
    DbInstance, DbParameterGroup, DbSubnetGroup, Engine, Handle, MasterPassword, Role, SecurityGroup, Statement,
};
use crate::patterns::network::Network;
use crate::stack::StackBuilder;
use crate::value::{SecretRef, Value};

/// The managed policy for RDS enhanced monitoring.
pub const RDS_MONITORING_POLICY: &str = "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole";

/// What a database looks like.
#[derive(Debug, Clone)]
pub struct DatabaseProps<'a> {
    /// Prefix of every logical id, e.g. `Database`.
    pub name: &'a str,
    /// Where it runs (private subnets).
    pub network: &'a Network,
    /// Engine.
    pub engine: Engine,
    /// Engine version.
    pub engine_version: String,
    /// Parameter group family, e.g. `postgres16`.
    pub family: String,
    /// Engine parameters.
    pub parameters: IndexMap<String, String>,
    /// Instance class.
    pub instance_class: String,
    /// Storage in GiB.
    pub allocated_storage_gib: u32,
    /// Storage autoscaling ceiling in GiB.
    pub max_allocated_storage_gib: Option<u32>,
    /// Days of automated backups.
    pub backup_retention_days: u32,
    /// Standby in a second zone.
    pub multi_az: bool,
    /// Physical identifier (e.g. `aquamark`).
    pub identifier: Option<String>,
    /// Initial database.
    pub db_name: String,
    /// Master user.
    pub master_username: String,
    /// Enhanced monitoring interval (seconds; 0 = off).
    pub monitoring_interval: u32,
}

impl<'a> DatabaseProps<'a> {
    /// PostgreSQL 17 with the defaults a small production database starts from: `db.t4g.micro`,
    /// 20 GiB gp3 (autoscaling off), 7 days of backups, single-AZ, enhanced monitoring every 60
    /// s, database and master user `app`. Change what differs with struct update syntax:
    /// `DatabaseProps { multi_az: true, ..DatabaseProps::postgres("Db", &network) }`.
    pub fn postgres(name: &'a str, network: &'a Network) -> Self {
        Self {
            name,
            network,
            engine: Engine::Postgres,
            engine_version: "17.6".into(),
            family: "postgres17".into(),
            parameters: IndexMap::new(),
            instance_class: "db.t4g.micro".into(),
            allocated_storage_gib: 20,
            max_allocated_storage_gib: None,
            backup_retention_days: 7,
            multi_az: false,
            identifier: None,
            db_name: "app".into(),
            master_username: "app".into(),
            monitoring_interval: 60,
        }
    }

    /// MySQL 8.4 (the current long-term release), otherwise as [`DatabaseProps::postgres`].
    pub fn mysql(name: &'a str, network: &'a Network) -> Self {
        Self {
            engine: Engine::Mysql,
            engine_version: "8.4.7".into(),
            family: "mysql8.4".into(),
            ..Self::postgres(name, network)
        }
    }
}

/// Handles of a database.
#[derive(Debug, Clone)]
pub struct Database {
    /// The instance.
    pub instance: Handle<DbInstance>,
    /// Its security group.
    pub security_group: Handle<SecurityGroup>,
    /// The engine's port.
    pub port: u16,
    /// The database name.
    pub db_name: String,
    /// The master user.
    pub master_username: String,
    engine: Engine,
    name: String,
    template: ReplicaTemplate,
}

/// What a read replica copies from its primary.
#[derive(Debug, Clone)]
struct ReplicaTemplate {
    engine_version: String,
    instance_class: String,
    subnet_group: Value<String>,
    parameter_group: Value<String>,
    monitoring: Option<(u32, Value<String>)>,
}

/// RDS offers Performance Insights on every instance class but the smallest burstable ones
/// (`db.t2`, `db.t3` and `db.t4g` `micro` and `small`): enabling it there fails the create.
pub fn performance_insights_supported(instance_class: &str) -> bool {
    let small = ["db.t2.", "db.t3.", "db.t4g."]
        .iter()
        .any(|family| instance_class.strip_prefix(family).is_some_and(|size| size == "micro" || size == "small"));
    !small
}

impl Database {
    /// Adds the database's resources.
    pub fn create(stack: &mut StackBuilder, p: DatabaseProps<'_>) -> Self {
        stack.pattern("Database", p.name, |stack| Self::add_resources(stack, p))
    }

    /// [`Self::create`] inside its pattern scope.
    #[allow(clippy::too_many_lines)] // one declaration per resource, read top to bottom
    fn add_resources(stack: &mut StackBuilder, p: DatabaseProps<'_>) -> Self {
        let n = p.name;
        let port = p.engine.default_port();
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
            DbSubnetGroup {
                description: format!("{} {} {n} private subnets", stack.name(), stack.env()),
                subnet_ids: p.network.private_subnets.clone(),
            },
        );
        let params = stack.add(
            &format!("{n}ParameterGroup"),
            DbParameterGroup {
                description: format!("{} {} {n} parameters", stack.name(), stack.env()),
                family: p.family,
                parameters: p.parameters,
            },
        );
        let monitoring = (p.monitoring_interval > 0).then(|| {
            let role = stack.add(
                &format!("{n}MonitoringRole"),
                Role {
                    description: format!("{} {} {n} enhanced monitoring", stack.name(), stack.env()),
                    assumed_by: vec!["monitoring.rds.amazonaws.com".into()],
                    managed_policy_arns: vec![Value::from(RDS_MONITORING_POLICY)],
                    policies: Vec::new(),
                },
            );
            (p.monitoring_interval, role.arn())
        });
        let multi_az = p.multi_az;
        let engine_version = p.engine_version.clone();
        let instance_class_text = p.instance_class.clone();
        let pi = performance_insights_supported(&instance_class_text);
        let monitoring_copy = monitoring.clone();
        let instance = stack.add_with(
            &format!("{n}Instance"),
            DbInstance {
                identifier: p.identifier,
                engine: p.engine,
                engine_version: p.engine_version,
                instance_class: p.instance_class.into(),
                allocated_storage_gib: p.allocated_storage_gib,
                max_allocated_storage_gib: p.max_allocated_storage_gib,
                storage_type: "gp3".into(),
                storage_encrypted: true,
                multi_az: p.multi_az,
                publicly_accessible: false,
                backup_retention_days: p.backup_retention_days,
                deletion_protection: true,
                db_name: Some(p.db_name.clone()),
                master_username: p.master_username.clone(),
                master_password: MasterPassword::ManagedByRds,
                port: Some(port),
                security_group_ids: vec![sg.group_id()],
                subnet_group_name: subnets.name(),
                parameter_group_name: Some(params.name()),
                iam_authentication: true,
                performance_insights: pi,
                monitoring,
                log_exports: p.engine.log_exports(),
                auto_minor_version_upgrade: true,
                copy_tags_to_snapshot: true,
                source_db_instance: None,
            },
            |e| {
                e.suppressions.push(super::suppress(
                    "CKV_AWS_354",
                    "Performance Insights data is encrypted with the AWS-managed RDS key; the stack holds no customer-managed KMS key",
                ));
                if !pi {
                    e.suppressions.push(super::suppress(
                        "CKV_AWS_353",
                        "RDS offers no Performance Insights on this instance class (micro and small burstable)",
                    ));
                }
                if !multi_az {
                    e.suppressions.push(super::suppress(
                        "CKV_AWS_157",
                        "single-AZ by choice in this environment to halve its cost; prod runs Multi-AZ",
                    ));
                }
            },
        );
        Self {
            instance,
            security_group: sg,
            port,
            db_name: p.db_name,
            master_username: p.master_username,
            engine: p.engine,
            name: n.to_owned(),
            template: ReplicaTemplate {
                engine_version,
                instance_class: instance_class_text,
                subnet_group: subnets.name(),
                parameter_group: params.name(),
                monitoring: monitoring_copy,
            },
        }
    }

    /// Adds a read replica `<Database>Replica<suffix>` of the primary: same engine version,
    /// subnet group, parameter group, security group and monitoring; its own endpoint (give it
    /// to tiers that only read). `instance_class` defaults to the primary's. A replica holds no
    /// data of its own, so it is not stateful: no snapshot policy and no final snapshot (RDS
    /// refuses one for a replica); the primary keeps both.
    pub fn add_read_replica(
        &self,
        stack: &mut StackBuilder,
        suffix: &str,
        instance_class: Option<&str>,
        multi_az: bool,
    ) -> Handle<DbInstance> {
        let origin = stack.origin_of(self.instance.id());
        stack.with_origin(origin, |stack| self.add_replica(stack, suffix, instance_class, multi_az))
    }

    /// [`Self::add_read_replica`] inside the database's pattern scope.
    fn add_replica(
        &self,
        stack: &mut StackBuilder,
        suffix: &str,
        instance_class: Option<&str>,
        multi_az: bool,
    ) -> Handle<DbInstance> {
        let t = &self.template;
        let pi = performance_insights_supported(instance_class.unwrap_or(&t.instance_class));
        stack.add_with(
            &format!("{}Replica{suffix}", self.name),
            DbInstance {
                identifier: None,
                engine: self.engine,
                engine_version: t.engine_version.clone(),
                instance_class: instance_class.unwrap_or(&t.instance_class).into(),
                allocated_storage_gib: 0,
                max_allocated_storage_gib: None,
                storage_type: "gp3".into(),
                storage_encrypted: true,
                multi_az,
                publicly_accessible: false,
                backup_retention_days: 0,
                deletion_protection: true,
                db_name: None,
                master_username: String::new(),
                master_password: MasterPassword::ManagedByRds,
                port: Some(self.port),
                security_group_ids: vec![self.security_group.group_id()],
                subnet_group_name: t.subnet_group.clone(),
                parameter_group_name: Some(t.parameter_group.clone()),
                iam_authentication: true,
                performance_insights: pi,
                monitoring: t.monitoring.clone(),
                log_exports: self.engine.log_exports(),
                auto_minor_version_upgrade: true,
                copy_tags_to_snapshot: true,
                source_db_instance: Some(self.instance.identifier()),
            },
            |e| {
                e.suppressions.push(super::suppress(
                    "CKV_AWS_354",
                    "Performance Insights data is encrypted with the AWS-managed RDS key; the stack holds no customer-managed KMS key",
                ));
                e.suppressions.push(super::suppress(
                    "CKV_AWS_16",
                    "a read replica is encrypted because its primary is; CloudFormation refuses StorageEncrypted next to SourceDBInstanceIdentifier",
                ));
                if !pi {
                    e.suppressions.push(super::suppress(
                        "CKV_AWS_353",
                        "RDS offers no Performance Insights on this instance class (micro and small burstable)",
                    ));
                }
                if !multi_az {
                    e.suppressions.push(super::suppress(
                        "CKV_AWS_157",
                        "a read replica serves reads only; if it fails the primary is untouched and RDS replaces the replica",
                    ));
                }
            },
        )
    }

    /// Admits `tier` (a host, web tier, container service, or `("Name", &group)`) on the
    /// engine's port: a rule resource `<Database>From<tier>`.
    pub fn allow_from(&self, stack: &mut StackBuilder, tier: &impl super::Tier) {
        self.allow_from_group(stack, tier.tier_name(), tier.tier_group().group_id());
    }

    /// Admits a security group given by id (one outside the stack, or a parameter) on the
    /// engine's port, as the tier `label`.
    pub fn allow_from_group(&self, stack: &mut StackBuilder, label: &str, group_id: Value<String>) {
        super::admit(stack, &self.name, &self.security_group, self.port, label, group_id, self.engine.as_aws());
    }

    /// The RDS-managed master password (JSON key `password` of the managed secret).
    pub fn master_password(&self) -> SecretRef {
        SecretRef::secrets_manager(self.instance.master_user_secret_arn()).key("password")
    }

    /// `scheme://user:password@host:port/db`, the password URL-encoded and resolved where the
    /// value is used (never written into a template).
    pub fn url(&self, scheme: &str) -> Value<String> {
        Value::join([
            Value::from(format!("{scheme}://{}:", self.master_username)),
            Value::Secret(self.master_password().url_encoded()),
            Value::from("@"),
            self.instance.endpoint_address(),
            Value::from(format!(":{}/{}", self.port, self.db_name)),
        ])
    }

    /// The IAM statement that lets a tier read the master secret.
    pub fn read_secret_statement(&self) -> Statement {
        Statement {
            allow: true,
            actions: vec!["secretsmanager:GetSecretValue".into(), "secretsmanager:DescribeSecret".into()],
            resources: vec![self.instance.master_user_secret_arn()],
        }
    }
}

#[cfg(test)]
mod performance_insights_tests {
    use super::performance_insights_supported;

    #[test]
    fn not_on_the_smallest_burstable_classes() {
        for no in ["db.t4g.micro", "db.t4g.small", "db.t3.micro", "db.t2.small"] {
            assert!(!performance_insights_supported(no), "{no}");
        }
        for yes in ["db.t4g.medium", "db.t3.large", "db.r7g.xlarge", "db.m7g.large"] {
            assert!(performance_insights_supported(yes), "{yes}");
        }
    }
}
