//! RDS instances, subnet groups and parameter groups.

use indexmap::IndexMap;
use serde::Serialize;

use crate::model::spec::prelude::*;
use crate::value::{Refs, SecretRef, Value};

/// Database engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Refs)]
pub enum Engine {
    /// PostgreSQL.
    Postgres,
    /// MySQL.
    Mysql,
}

impl Engine {
    /// The RDS API spelling.
    pub fn as_aws(self) -> &'static str {
        match self {
            Engine::Postgres => "postgres",
            Engine::Mysql => "mysql",
        }
    }

    /// The engine's default port.
    pub fn default_port(self) -> u16 {
        match self {
            Engine::Postgres => 5432,
            Engine::Mysql => 3306,
        }
    }

    /// Log types worth exporting to CloudWatch.
    pub fn log_exports(self) -> Vec<String> {
        match self {
            Engine::Postgres => vec!["postgresql".into(), "upgrade".into()],
            Engine::Mysql => vec!["error".into(), "general".into(), "slowquery".into()],
        }
    }
}

/// `AWS::RDS::DBSubnetGroup` / `aws_db_subnet_group`.
#[derive(Debug, Clone, Serialize, Refs)]
pub struct DbSubnetGroup {
    /// Description.
    pub description: String,
    /// Private subnets in at least two zones.
    pub subnet_ids: Vec<Value<String>>,
}

/// `AWS::RDS::DBParameterGroup` / `aws_db_parameter_group`.
#[derive(Debug, Clone, Serialize, Refs)]
pub struct DbParameterGroup {
    /// Description.
    pub description: String,
    /// Family, e.g. `postgres16`.
    pub family: String,
    /// Parameters in order.
    pub parameters: IndexMap<String, String>,
}

/// Where the master password comes from. Never a literal.
#[derive(Debug, Clone, Serialize, Refs)]
pub enum MasterPassword {
    /// RDS creates and rotates it in Secrets Manager (`ManageMasterUserPassword`).
    ManagedByRds,
    /// An existing secret.
    Secret(SecretRef),
}

/// `AWS::RDS::DBInstance` / `aws_db_instance`.
#[allow(clippy::struct_excessive_bools)] // mirrors the AWS API's switches one to one
#[derive(Debug, Clone, Serialize, Refs)]
pub struct DbInstance {
    /// The instance identifier (physical); derived when absent.
    pub identifier: Option<String>,
    /// Engine.
    pub engine: Engine,
    /// Engine version, e.g. `16.4`.
    pub engine_version: String,
    /// Instance class, e.g. `db.t4g.medium`.
    pub instance_class: Value<String>,
    /// Storage in GiB.
    pub allocated_storage_gib: u32,
    /// Storage autoscaling ceiling in GiB.
    pub max_allocated_storage_gib: Option<u32>,
    /// `gp3`.
    pub storage_type: String,
    /// Encrypted at rest.
    pub storage_encrypted: bool,
    /// A standby in a second zone.
    pub multi_az: bool,
    /// Must be false (validation).
    pub publicly_accessible: bool,
    /// Days of automated backups (1-35).
    pub backup_retention_days: u32,
    /// Refuse deletion through the API.
    pub deletion_protection: bool,
    /// Initial database name.
    pub db_name: Option<String>,
    /// Master user name.
    pub master_username: String,
    /// Master password source.
    pub master_password: MasterPassword,
    /// Port (engine default when absent).
    pub port: Option<u16>,
    /// Security groups.
    pub security_group_ids: Vec<Value<String>>,
    /// Subnet group name.
    pub subnet_group_name: Value<String>,
    /// Parameter group name.
    pub parameter_group_name: Option<Value<String>>,
    /// IAM database authentication.
    pub iam_authentication: bool,
    /// Performance Insights.
    pub performance_insights: bool,
    /// Enhanced monitoring interval in seconds (0 = off) and its role ARN.
    pub monitoring: Option<(u32, Value<String>)>,
    /// Log types exported to CloudWatch.
    pub log_exports: Vec<String>,
    /// Apply minor engine upgrades in the maintenance window.
    pub auto_minor_version_upgrade: bool,
    /// Copy tags to snapshots.
    pub copy_tags_to_snapshot: bool,
    /// For a read replica: the primary's identifier (same region) or ARN. A replica inherits
    /// the engine's data, master user, password, database name and encryption from it, so the
    /// renderers leave those out, and it is not stateful (nothing to snapshot or protect that
    /// the primary does not hold).
    pub source_db_instance: Option<Value<String>>,
}

impl DbInstance {
    /// True for a read replica.
    pub fn is_replica(&self) -> bool {
        self.source_db_instance.is_some()
    }
}

impl ResourceKind for DbSubnetGroup {
    const SPEC: &'static KindSpec = &KindSpec {
        kind: "DbSubnetGroup",
        label: "DB subnet group",
        provider: Provider::Aws,
        cloudformation: Some("AWS::RDS::DBSubnetGroup"),
        terraform: Some("aws_db_subnet_group"),
        attrs: &[by_ref(Attr::Name, "name")],
        naming: Naming::Derived { max: 255 },
        tagging: Tagging::Property("Tags"),
        data: Data::None,
        replacement: crate::replace!["DBSubnetGroupName"],
        replacement_notes: &[],
        teardown: 9,
    };
}

impl ResourceKind for DbParameterGroup {
    const SPEC: &'static KindSpec = &KindSpec {
        kind: "DbParameterGroup",
        label: "DB parameter group",
        provider: Provider::Aws,
        cloudformation: Some("AWS::RDS::DBParameterGroup"),
        terraform: Some("aws_db_parameter_group"),
        attrs: &[by_ref(Attr::Name, "name")],
        naming: Naming::Derived { max: 255 },
        tagging: Tagging::Property("Tags"),
        data: Data::None,
        replacement: crate::replace!["DBParameterGroupName", "Description", "Family": "a parameter group belongs to one engine family"],
        replacement_notes: &[],
        teardown: 10,
    };
}

impl ResourceKind for DbInstance {
    const SPEC: &'static KindSpec = &KindSpec {
        kind: "DbInstance",
        label: "RDS instance",
        provider: Provider::Aws,
        cloudformation: Some("AWS::RDS::DBInstance"),
        terraform: Some("aws_db_instance"),
        attrs: &[
            by_ref(Attr::Id, "identifier"),
            get_att(Attr::EndpointAddress, "Endpoint.Address", "address"),
            get_att(Attr::EndpointPort, "Endpoint.Port", "port"),
            get_att(Attr::MasterUserSecretArn, "MasterUserSecret.SecretArn", "master_user_secret.0.secret_arn"),
            get_att(Attr::Arn, "DBInstanceArn", "arn"),
        ],
        naming: Naming::Explicit { max: 63 },
        tagging: Tagging::Property("Tags"),
        data: Data::Holds { keep: Keep::Snapshot },
        replacement: crate::replace!["BackupTarget", "CharacterSetName": "the character set is fixed when the database is created", "CustomIAMInstanceProfile", "DBClusterIdentifier", "DBInstanceIdentifier": "the identifier names the instance; a new one is a new database", "DBName": "the initial database is made once, at creation", "DBSubnetGroupName", "DBSystemId", "KmsKeyId": "encryption keys cannot change on an existing instance", "MasterUsername": "the master user is made once, at creation", "NcharCharacterSetName", "SourceRegion", "StorageEncrypted": "encryption cannot be turned on or off on an existing instance", "Timezone", "AvailabilityZone": "the SDK path does not move an instance between zones", "Engine": "another engine is another database; its data does not carry over"],
        replacement_notes: &[
            (
                "AvailabilityZone",
                "CloudFormation moves a single-AZ instance with some interruption; the SDK path replaces",
            ),
            ("Engine", "CloudFormation converts in place only between editions of one engine; the SDK path replaces"),
        ],
        teardown: 8,
    };
    fn explicit_name(&self) -> Option<&str> {
        self.identifier.as_deref()
    }
    fn explicit_name_mut(&mut self) -> Option<&mut String> {
        self.identifier.as_mut()
    }
    fn holds_data(&self) -> bool {
        !self.is_replica()
    }
}
