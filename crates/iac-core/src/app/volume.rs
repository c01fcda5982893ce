//! A data volume mounted by the host's setup at boot ([`DataMount`]).
//!
//! The boot script waits for the volume's device (found by the volume's id, which Nitro
//! instances show in `/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_vol…`; Xen instances by
//! the device name), makes a file system only when it has none (a volume kept from a replaced
//! host keeps its data), mounts it and records it by its file system's UUID in `/etc/fstab` with
//! `nofail` (a missing volume does not stop the boot), bind-mounts its directories where the
//! daemons keep their data, and orders the units that use it after the mounts
//! (`RequiresMountsFor=` drop-ins), so that they never write to the root disk instead. When the
//! volume cannot be mounted, the boot script reports it and goes on: the units that use it are
//! stopped and do not start (their drop-ins' `ConditionPathIsMountPoint=`), the rest of the host
//! comes up.

use serde::Serialize;

use crate::value::{Refs, Value};

/// A file system a data volume is formatted with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Refs)]
pub enum FileSystemType {
    /// ext4.
    Ext4,
    /// XFS.
    Xfs,
}

impl FileSystemType {
    /// The name `mkfs -t` and fstab take.
    pub fn as_str(self) -> &'static str {
        match self {
            FileSystemType::Ext4 => "ext4",
            FileSystemType::Xfs => "xfs",
        }
    }
}

/// A directory of the volume bind-mounted where a daemon keeps its data, e.g. `redis` on
/// `/var/lib/redis`: the daemon's own paths stay as its package made them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Refs)]
pub struct DataBind {
    /// The directory on the volume, relative to its mount point, e.g. `redis`.
    pub source: String,
    /// Where it appears, e.g. `/var/lib/redis`. What is there at first boot (from the package)
    /// is copied onto the volume once, when the directory is new on it.
    pub target: String,
    /// `user:group` owning the directory, e.g. `redis:redis`.
    pub owner: String,
}

/// A data volume the host mounts at boot.
#[derive(Debug, Clone, Serialize, Refs)]
pub struct DataMount {
    /// The volume's id (`vol-…`), usually the stack's volume's [`crate::value::Attr::Id`].
    pub volume_id: Value<String>,
    /// The device the volume appears as on Xen instances, e.g. `/dev/xvdf` (attached as
    /// `/dev/sdf`).
    pub xen_device: String,
    /// Where it is mounted, e.g. `/srv/data`.
    pub mount_point: String,
    /// The file system made on a blank volume.
    pub file_system: FileSystemType,
    /// Directories bind-mounted where daemons keep their data.
    pub binds: Vec<DataBind>,
    /// systemd units that use the data (e.g. `supervisor.service`): each starts only after the
    /// mounts, and not at all when the volume is missing.
    pub required_by: Vec<String>,
}

impl DataMount {
    /// The paths the units in [`DataMount::required_by`] need mounted.
    pub fn required_paths(&self) -> Vec<&str> {
        if self.binds.is_empty() {
            vec![self.mount_point.as_str()]
        } else {
            self.binds.iter().map(|b| b.target.as_str()).collect()
        }
    }
}
