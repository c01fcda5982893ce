//! EFS: encrypted file systems shared by tasks, their mount targets (one per private subnet)
//! and access points (a fixed POSIX user and root directory).

use serde::Serialize;

use crate::model::spec::prelude::*;
use crate::value::{Refs, Value};

/// EFS performance mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Refs)]
pub enum PerformanceMode {
    /// Lowest latency; right for web content and sessions.
    GeneralPurpose,
    /// Higher aggregate throughput, higher latency.
    MaxIo,
}

impl PerformanceMode {
    /// The EFS API spelling.
    pub fn as_aws(self) -> &'static str {
        match self {
            PerformanceMode::GeneralPurpose => "generalPurpose",
            PerformanceMode::MaxIo => "maxIO",
        }
    }
}

/// `AWS::EFS::FileSystem` / `aws_efs_file_system` (elastic throughput).
#[derive(Debug, Clone, Serialize, Refs)]
pub struct FileSystem {
    /// Encrypted at rest (validation requires it).
    pub encrypted: bool,
    /// A customer-managed KMS key (ARN or id); the AWS-managed `aws/elasticfilesystem` key when absent.
    pub kms_key_id: Option<Value<String>>,
    /// Performance mode.
    pub performance_mode: PerformanceMode,
    /// Automatic daily backups by AWS Backup.
    pub backups: bool,
    /// Days without access before files move to Infrequent Access (1, 7, 14, 30, 60, 90...);
    /// they move back on first access. `None`: never.
    pub transition_to_ia_days: Option<u32>,
}

/// `AWS::EFS::MountTarget` / `aws_efs_mount_target`: the file system's address in one subnet.
#[derive(Debug, Clone, Serialize, Refs)]
pub struct MountTarget {
    /// The file system's id.
    pub file_system_id: Value<String>,
    /// The subnet (a private one).
    pub subnet_id: Value<String>,
    /// Security groups (admitting NFS only from the named tiers).
    pub security_group_ids: Vec<Value<String>>,
}

/// The POSIX identity every request through an access point runs as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Refs)]
pub struct PosixUser {
    /// User id.
    pub uid: u32,
    /// Group id.
    pub gid: u32,
}

/// `AWS::EFS::AccessPoint` / `aws_efs_access_point`.
#[derive(Debug, Clone, Serialize, Refs)]
pub struct AccessPoint {
    /// The file system's id.
    pub file_system_id: Value<String>,
    /// The identity enforced on every request.
    pub posix_user: PosixUser,
    /// The directory clients see as `/`, e.g. `/data`; created on first use owned by
    /// `posix_user` with `permissions`.
    pub root_directory: String,
    /// Octal permissions of a created root directory, e.g. `0755`.
    pub permissions: String,
}

impl ResourceKind for FileSystem {
    const SPEC: &'static KindSpec = &KindSpec {
        kind: "FileSystem",
        label: "EFS file system",
        provider: Provider::Aws,
        cloudformation: Some("AWS::EFS::FileSystem"),
        terraform: Some("aws_efs_file_system"),
        attrs: &[by_ref(Attr::Id, "id"), get_att(Attr::Arn, "Arn", "arn")],
        naming: Naming::Derived { max: 255 },
        tagging: Tagging::Property("FileSystemTags"),
        data: Data::Holds { keep: Keep::Retain },
        replacement: crate::replace!["AvailabilityZoneName", "Encrypted": "encryption is chosen when the file system is created", "KmsKeyId", "PerformanceMode"],
        replacement_notes: &[],
        teardown: 9,
    };
}

impl ResourceKind for MountTarget {
    const SPEC: &'static KindSpec = &KindSpec {
        kind: "MountTarget",
        label: "EFS mount target",
        provider: Provider::Aws,
        cloudformation: Some("AWS::EFS::MountTarget"),
        terraform: Some("aws_efs_mount_target"),
        attrs: &[],
        naming: Naming::Unnamed,
        tagging: Tagging::Untagged("mount targets take no tags"),
        data: Data::None,
        replacement: crate::replace!["IpAddress", "Ipv6Address", "IpAddressType", "SubnetId", "FileSystemId"],
        replacement_notes: &[],
        teardown: 7,
    };
}

impl ResourceKind for AccessPoint {
    const SPEC: &'static KindSpec = &KindSpec {
        kind: "AccessPoint",
        label: "EFS access point",
        provider: Provider::Aws,
        cloudformation: Some("AWS::EFS::AccessPoint"),
        terraform: Some("aws_efs_access_point"),
        attrs: &[by_ref(Attr::Id, "id"), get_att(Attr::Arn, "Arn", "arn")],
        naming: Naming::Derived { max: 255 },
        tagging: Tagging::Property("AccessPointTags"),
        data: Data::None,
        replacement: crate::replace!["FileSystemId", "ClientToken", "PosixUser", "RootDirectory"],
        replacement_notes: &[],
        teardown: 7,
    };
}
