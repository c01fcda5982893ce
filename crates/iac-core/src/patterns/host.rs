//! `Host`: one private EC2 instance with its own security group, role and user data, and
//! optionally a data volume that outlives it ([`DataVolumeProps`]).

use crate::app::{DataBind, DataMount, FileSystemType, HostConfig};
use crate::diag::{Code, Diagnostic, Path};
use crate::model::{
    Handle, Instance, InstanceProfile, InstanceTemplate, LaunchTemplate, MachineSpec, Peer, Role, RootVolume, Rule,
    SecurityGroup, Statement, Volume, VolumeAttachment,
};
use crate::patterns::network::Network;
use crate::stack::StackBuilder;
use crate::value::{Attr, AttrRef, Value};

/// The device name a host's data volume is attached as.
pub const DATA_DEVICE: &str = "/dev/sdf";
/// The same device on Xen instances.
pub const DATA_XEN_DEVICE: &str = "/dev/xvdf";

/// A data volume of a host: an encrypted gp3 EBS volume in the host's zone, attached as
/// [`DATA_DEVICE`] and mounted by its setup at boot. It holds data: the stack keeps a snapshot
/// if it is ever deleted, and replacing the host replaces the attachment, never the volume.
#[derive(Debug, Clone)]
pub struct DataVolumeProps {
    /// Size in GiB.
    pub size_gib: u32,
    /// Where it is mounted, e.g. `/srv/data`.
    pub mount_point: String,
    /// The file system made on it when it is blank.
    pub file_system: FileSystemType,
    /// Its directories bind-mounted where the daemons keep their data.
    pub binds: Vec<DataBind>,
    /// systemd units that start only with the data mounted.
    pub required_by: Vec<String>,
    /// The zone; the host's subnet's when absent (then the subnet must be one of the stack's).
    pub availability_zone: Option<Value<String>>,
}

impl DataVolumeProps {
    /// An ext4 volume of `size_gib` mounted at `mount_point`, in the host's zone.
    pub fn ext4(size_gib: u32, mount_point: impl Into<String>) -> Self {
        Self {
            size_gib,
            mount_point: mount_point.into(),
            file_system: FileSystemType::Ext4,
            binds: Vec::new(),
            required_by: Vec::new(),
            availability_zone: None,
        }
    }
}

/// What a host looks like.
#[derive(Debug, Clone)]
pub struct HostProps<'a> {
    /// Prefix of every logical id, e.g. `Daemons`.
    pub name: &'a str,
    /// Where it runs (the first private subnet).
    pub network: &'a Network,
    /// The AMI.
    pub image_id: Value<String>,
    /// Instance type.
    pub instance_type: String,
    /// What runs on it.
    pub host: HostConfig,
    /// Ranges admitted on SSH (the bastion's or the local subnet).
    pub admin_cidrs: Vec<String>,
    /// Root volume.
    pub root_volume: RootVolume,
    /// Extra permissions of the role.
    pub statements: Vec<Statement>,
    /// Ports open to the internet for egress.
    pub internet_egress_ports: Vec<u16>,
    /// Ports open inside the VPC for egress.
    pub vpc_egress_ports: Vec<u16>,
    /// A data volume, kept when the host is replaced.
    pub data_volume: Option<DataVolumeProps>,
}

impl<'a> HostProps<'a> {
    /// A `t3.micro` booting `image_id` with a 20 GiB encrypted gp3 root volume (`/dev/xvda`, the
    /// Amazon Linux device; Ubuntu images use `/dev/sda1`), HTTPS egress to the internet only,
    /// no SSH, and an empty [`HostConfig`] named after the host. Change what differs with struct
    /// update syntax.
    pub fn new(name: &'a str, network: &'a Network, image_id: impl Into<Value<String>>) -> Self {
        Self {
            name,
            network,
            image_id: image_id.into(),
            instance_type: "t3.micro".into(),
            host: HostConfig { name: name.to_ascii_lowercase(), ..HostConfig::default() },
            admin_cidrs: Vec::new(),
            root_volume: RootVolume::gp3("/dev/xvda", 20),
            statements: Vec::new(),
            internet_egress_ports: vec![443],
            vpc_egress_ports: Vec::new(),
            data_volume: None,
        }
    }
}

/// Handles of a host.
#[derive(Debug, Clone)]
pub struct Host {
    /// The name given in its props (the prefix of its logical ids).
    pub name: String,
    /// The instance.
    pub instance: Handle<Instance>,
    /// Its security group.
    pub security_group: Handle<SecurityGroup>,
    /// Its role.
    pub role: Handle<Role>,
    /// Its data volume.
    pub data_volume: Option<Handle<Volume>>,
}

impl Host {
    /// Adds the host's resources.
    pub fn create(stack: &mut StackBuilder, p: HostProps<'_>) -> Self {
        stack.pattern("Host", p.name, |stack| Self::add_resources(stack, p))
    }

    /// [`Self::create`] inside its pattern scope.
    fn add_resources(stack: &mut StackBuilder, p: HostProps<'_>) -> Self {
        let n = p.name;
        let egress = super::egress_rules(&p.internet_egress_ports, &p.vpc_egress_ports, p.network);
        let sg = stack.add(
            &format!("{n}SecurityGroup"),
            SecurityGroup {
                description: format!("{} {} {n} host", stack.name(), stack.env()),
                vpc_id: p.network.vpc_id.clone(),
                ingress: p
                    .admin_cidrs
                    .iter()
                    .map(|c| Rule::tcp(22, Peer::Cidr(c.as_str().into()), "SSH from the local subnet (bastion hop)"))
                    .collect(),
                egress,
            },
        );
        let role = super::instance_role(
            stack,
            &format!("{n}Role"),
            format!("{} {} {n} host", stack.name(), stack.env()),
            p.statements,
        );
        let profile = stack.add(&format!("{n}InstanceProfile"), InstanceProfile { role: role.name() });
        let subnet = p.network.private_subnets.first().cloned().unwrap_or_else(|| Value::from(""));
        let mut host = p.host;
        let data_volume = p.data_volume.map(|d| {
            let zone = d.availability_zone.clone().unwrap_or_else(|| zone_of(stack, n, &subnet));
            let volume = stack.add_with(&format!("{n}DataVolume"), Volume::gp3(zone, d.size_gib), |e| {
                e.suppressions.push(super::suppress(
                    "CKV_AWS_189",
                    "encrypted with the AWS-managed EBS key; the stack holds no customer-managed KMS key",
                ));
            });
            host.data_mounts.push(DataMount {
                volume_id: volume.volume_id(),
                xen_device: DATA_XEN_DEVICE.into(),
                mount_point: d.mount_point,
                file_system: d.file_system,
                binds: d.binds,
                required_by: d.required_by,
            });
            volume
        });
        // `AWS::EC2::Instance` takes no metadata options: the instance is launched from a
        // template of them (IMDSv2 required), the same in every backend.
        let template =
            stack.add_with(&format!("{n}LaunchTemplate"), LaunchTemplate { name: None, machine: None }, |e| {
                e.suppressions.push(super::suppress(
                    "CKV_AWS_341",
                    "hop limit 2 lets containers on the Docker bridge reach IMDSv2 for the instance role's credentials",
                ));
            });
        let instance = stack.add(
            &format!("{n}Instance"),
            Instance {
                subnet_id: subnet,
                machine: MachineSpec {
                    image_id: p.image_id,
                    instance_type: p.instance_type.into(),
                    security_group_ids: vec![sg.group_id()],
                    instance_profile: Some(profile.name()),
                    root_volume: Some(p.root_volume),
                    user_data: Some(host),
                    key_name: None,
                    detailed_monitoring: true,
                },
                launch_template: Some(InstanceTemplate {
                    id: template.template_id(),
                    version: template.latest_version(),
                }),
            },
        );
        if let Some(volume) = &data_volume {
            stack.add(
                &format!("{n}DataVolumeAttachment"),
                VolumeAttachment {
                    instance_id: instance.instance_id(),
                    volume_id: volume.volume_id(),
                    device: DATA_DEVICE.into(),
                },
            );
        }
        Self { name: n.to_owned(), instance, security_group: sg, role, data_volume }
    }
}

impl super::Tier for Host {
    fn tier_name(&self) -> &str {
        &self.name
    }
    fn tier_group(&self) -> &Handle<SecurityGroup> {
        &self.security_group
    }
}

impl Host {
    /// Admits `tier` to the host on `port` (a rule resource `<Host>From<tier>`).
    pub fn allow_from(&self, stack: &mut StackBuilder, tier: &impl super::Tier, port: u16) {
        super::admit(
            stack,
            &self.name,
            &self.security_group,
            port,
            tier.tier_name(),
            tier.tier_group().group_id(),
            "TCP",
        );
    }
}

/// The zone of `subnet`, when it is a subnet of the stack; otherwise a problem (the zone of a
/// subnet given by id is not known where the stack is built).
fn zone_of(stack: &mut StackBuilder, host: &str, subnet: &Value<String>) -> Value<String> {
    if let Value::Attr(AttrRef { id, attr: Attr::Id }) = subnet {
        return Value::Attr(AttrRef { id: id.clone(), attr: Attr::AvailabilityZone });
    }
    stack.problem(Diagnostic::new(
        Code::DataVolumeZoneUnknown,
        Path::stack(stack.name()).resource(&format!("{host}DataVolume")).property("AvailabilityZone"),
        "the host's subnet is given by id, so the zone of its data volume is not known",
        "set `DataVolumeProps::availability_zone` to the subnet's zone",
    ));
    Value::from("")
}
