//! EBS data volumes and their attachments: data that outlives the instance it is attached to.
//!
//! A volume is its own resource, in the instance's zone, and the attachment is another: when the
//! instance is replaced (a new image), the attachment is replaced with it and the volume is kept.
//! The host's setup finds the device by the volume's id and mounts it at boot
//! ([`crate::app::DataMount`]); [`crate::patterns::Host`] wires the three together.

use serde::Serialize;

use crate::model::spec::prelude::*;
use crate::value::{Refs, Value};

/// `AWS::EC2::Volume` / `aws_ebs_volume`: an encrypted EBS volume that holds data.
#[derive(Debug, Clone, Serialize, Refs)]
pub struct Volume {
    /// The zone; the instance it is attached to must be in it (a subnet's
    /// [`crate::value::Attr::AvailabilityZone`]).
    pub availability_zone: Value<String>,
    /// Size in GiB.
    pub size_gib: u32,
    /// `gp3` ("General Purpose SSD").
    pub volume_type: String,
    /// Encrypted at rest (validation requires it).
    pub encrypted: bool,
    /// A customer-managed KMS key; the AWS-managed `aws/ebs` key when absent.
    pub kms_key_id: Option<Value<String>>,
    /// Provisioned IOPS (gp3: 3000 to 16000; the baseline 3000 when absent).
    pub iops: Option<u32>,
    /// Provisioned throughput in MiB/s (gp3: 125 to 1000; the baseline 125 when absent).
    pub throughput_mibps: Option<u32>,
}
impl Volume {
    /// An encrypted gp3 volume of `size_gib` in `availability_zone`, at gp3's baseline speed.
    pub fn gp3(availability_zone: impl Into<Value<String>>, size_gib: u32) -> Self {
        Self {
            availability_zone: availability_zone.into(),
            size_gib,
            volume_type: "gp3".into(),
            encrypted: true,
            kms_key_id: None,
            iops: None,
            throughput_mibps: None,
        }
    }
}

/// `AWS::EC2::VolumeAttachment` / `aws_volume_attachment`: a volume attached to an instance.
///
/// Replacing the instance replaces the attachment (both its ids cannot change in place) and
/// keeps the volume. Terraform destroys the old attachment (stopping the instance first, so the
/// file system is unmounted cleanly) before it attaches the volume to the new instance.
/// CloudFormation creates replacements before it deletes what they replace, so it would attach
/// the volume to the new instance while the old one still holds it, and EC2 refuses; with
/// CloudFormation, stop the old instance and detach the volume before an update that replaces
/// the host.
#[derive(Debug, Clone, Serialize, Refs)]
pub struct VolumeAttachment {
    /// The instance.
    pub instance_id: Value<String>,
    /// The volume.
    pub volume_id: Value<String>,
    /// The device name given to EC2, e.g. `/dev/sdf`. Nitro instances show the volume as an
    /// `NVMe` device whatever the name (the setup finds it by the volume's id); Xen instances as
    /// `/dev/xvdf`.
    pub device: String,
}
impl ResourceKind for Volume {
    const SPEC: &'static KindSpec = &KindSpec {
        kind: "Volume",
        label: "EBS volume",
        provider: Provider::Aws,
        cloudformation: Some("AWS::EC2::Volume"),
        terraform: Some("aws_ebs_volume"),
        attrs: &[by_ref(Attr::Id, "id")],
        naming: Naming::Derived { max: 255 },
        tagging: Tagging::Property("Tags"),
        data: Data::Holds { keep: Keep::Snapshot },
        replacement: crate::replace![
            "AvailabilityZone": "a volume lives in one zone for life",
            "Encrypted": "encryption cannot be turned on or off on an existing volume",
            "KmsKeyId": "a volume's key cannot change",
            "SnapshotId": "a volume is made from a snapshot once, at creation",
        ],
        replacement_notes: &[
            (
                "AvailabilityZone",
                "the schema lists no create-only property (its handler recreates the volume); EC2's ModifyVolume changes only size, type, IOPS and throughput, so the SDK path replaces",
            ),
            ("Encrypted", "as AvailabilityZone"),
            ("KmsKeyId", "as AvailabilityZone"),
            ("SnapshotId", "as AvailabilityZone"),
        ],
        teardown: 9,
    };
}

impl ResourceKind for VolumeAttachment {
    const SPEC: &'static KindSpec = &KindSpec {
        kind: "VolumeAttachment",
        label: "volume attachment",
        provider: Provider::Aws,
        cloudformation: Some("AWS::EC2::VolumeAttachment"),
        terraform: Some("aws_volume_attachment"),
        attrs: &[],
        naming: Naming::Unnamed,
        tagging: Tagging::Untagged("an attachment takes no tags"),
        data: Data::None,
        replacement: crate::replace![
            "InstanceId": "a new instance gets a new attachment; the volume is kept",
            "VolumeId",
            "Device",
            "EbsCardIndex",
        ],
        replacement_notes: &[],
        teardown: 5,
    };
}
