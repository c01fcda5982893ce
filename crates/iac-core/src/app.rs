//! The application layer: a [`Container`] written once and rendered to a `docker run` in user
//! data or in a systemd unit (and, in later renderers, to ECS, compose and Kubernetes), and the
//! [`HostConfig`] of one machine (packages, files, containers, cron, and in [`setup`]: swap,
//! firewall, kernel settings, systemd units and timers, supervisor programs, nginx sites)
//! rendered to cloud-init user data.

use std::fmt;

use serde::Serialize;

use crate::value::{Refs, Value};

pub mod secrets;
pub mod setup;
pub mod volume;

pub use secrets::{literal_secret, literal_secret_in};
pub use setup::*;
pub use volume::{DataBind, DataMount, FileSystemType};

/// How an image is pinned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Refs)]
pub enum ImageRef {
    /// `repo:tag`.
    Tag(String),
    /// `repo@sha256:...`.
    Digest(String),
    /// No tag at all (Docker would pull `latest`); rejected by validation.
    Unpinned,
}

/// A container image reference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Refs)]
pub struct Image {
    /// Repository, e.g. `vpac/aquamark`.
    pub repository: String,
    /// Tag or digest.
    pub reference: ImageRef,
}

impl Image {
    /// Parses `repo[:tag]` or `repo@digest`. Unpinned and `latest` images parse; validation
    /// rejects them with the resource path, so every problem is reported at once.
    pub fn parse(s: &str) -> Self {
        if let Some((repo, digest)) = s.split_once('@') {
            return Self { repository: repo.to_owned(), reference: ImageRef::Digest(digest.to_owned()) };
        }
        let last_slash = s.rfind('/').map_or(0, |i| i + 1);
        match s[last_slash..].rfind(':') {
            Some(i) => Self {
                repository: s[..last_slash + i].to_owned(),
                reference: ImageRef::Tag(s[last_slash + i + 1..].to_owned()),
            },
            None => Self { repository: s.to_owned(), reference: ImageRef::Unpinned },
        }
    }

    /// Why the image is not pinned, if it is not.
    pub fn pin_problem(&self) -> Option<String> {
        match &self.reference {
            ImageRef::Unpinned => Some(format!("image `{self}` has no tag, so Docker pulls `latest`")),
            ImageRef::Tag(t) if t == "latest" => Some(format!("image `{self}` uses the moving tag `latest`")),
            ImageRef::Tag(t) if t.is_empty() => Some(format!("image `{self}` has an empty tag")),
            ImageRef::Digest(d) if !d.starts_with("sha256:") => Some(format!("image `{self}` has a malformed digest")),
            _ => None,
        }
    }
}

impl fmt::Display for Image {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.reference {
            ImageRef::Tag(t) => write!(f, "{}:{t}", self.repository),
            ImageRef::Digest(d) => write!(f, "{}@{d}", self.repository),
            ImageRef::Unpinned => f.write_str(&self.repository),
        }
    }
}

/// One environment variable. A value that is or contains a [`crate::value::SecretRef`] is
/// resolved where the container starts (at boot, by the ECS agent...) and never written out.
#[derive(Debug, Clone, Serialize, Refs)]
pub struct EnvVar {
    /// Name.
    pub name: String,
    /// Value.
    pub value: Value<String>,
}

/// The transport protocol of a published port.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Refs)]
pub enum PortProtocol {
    /// TCP (the default).
    #[default]
    Tcp,
    /// UDP (collectd, statsd, DNS).
    Udp,
}

impl PortProtocol {
    /// Lowercase, as docker, compose and ECS write it (`tcp`, `udp`).
    pub fn as_lower(self) -> &'static str {
        match self {
            PortProtocol::Tcp => "tcp",
            PortProtocol::Udp => "udp",
        }
    }

    /// Uppercase, as Kubernetes writes it (`TCP`, `UDP`).
    pub fn as_upper(self) -> &'static str {
        match self {
            PortProtocol::Tcp => "TCP",
            PortProtocol::Udp => "UDP",
        }
    }
}

/// A published port.
#[derive(Debug, Clone, Copy, Serialize, Refs)]
pub struct PortMapping {
    /// Port on the host.
    pub host: u16,
    /// Port in the container.
    pub container: u16,
    /// Transport protocol.
    pub protocol: PortProtocol,
}

impl PortMapping {
    /// `host` -> `container` over TCP.
    pub fn tcp(host: u16, container: u16) -> Self {
        Self { host, container, protocol: PortProtocol::Tcp }
    }

    /// `host` -> `container` over UDP.
    pub fn udp(host: u16, container: u16) -> Self {
        Self { host, container, protocol: PortProtocol::Udp }
    }

    /// `host:container`, with `/udp` appended for UDP (docker `-p` and compose short syntax).
    pub fn short_syntax(&self) -> String {
        match self.protocol {
            PortProtocol::Tcp => format!("{}:{}", self.host, self.container),
            PortProtocol::Udp => format!("{}:{}/udp", self.host, self.container),
        }
    }
}

/// A bind mount or named volume.
#[derive(Debug, Clone, Serialize, Refs)]
pub struct Mount {
    /// Host path (absolute) or volume name.
    pub source: String,
    /// Path in the container.
    pub target: String,
    /// Mounted read-only.
    pub read_only: bool,
}

/// Restart policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Refs)]
pub enum Restart {
    /// Never restart.
    No,
    /// Restart on failure.
    OnFailure,
    /// Always restart, also after a reboot (`--restart=always`).
    Always,
    /// Like `Always` unless stopped by hand.
    UnlessStopped,
}

impl Restart {
    /// Docker's spelling.
    pub fn as_docker(self) -> &'static str {
        match self {
            Restart::No => "no",
            Restart::OnFailure => "on-failure",
            Restart::Always => "always",
            Restart::UnlessStopped => "unless-stopped",
        }
    }
}

/// Network mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Refs)]
pub enum NetworkMode {
    /// Docker's default bridge with published ports.
    Bridge,
    /// The host's network stack.
    Host,
}

/// A container health check.
#[derive(Debug, Clone, Serialize, Refs)]
pub struct ContainerHealth {
    /// Command run in the container (exec form).
    pub command: Vec<String>,
    /// Seconds between checks.
    pub interval_seconds: u32,
    /// Seconds before a check times out.
    pub timeout_seconds: u32,
    /// Failures before unhealthy.
    pub retries: u32,
    /// Grace period after start.
    pub start_period_seconds: u32,
}

/// One container, described once for every runtime.
#[derive(Debug, Clone, Serialize, Refs)]
pub struct Container {
    /// Name (`docker --name`, compose service, ECS container name).
    pub name: String,
    /// Pinned image.
    pub image: Image,
    /// Command (overrides the image's).
    pub command: Vec<String>,
    /// Environment.
    pub env: Vec<EnvVar>,
    /// Published ports.
    pub ports: Vec<PortMapping>,
    /// Mounts.
    pub mounts: Vec<Mount>,
    /// Restart policy.
    pub restart: Restart,
    /// Health check.
    pub health: Option<ContainerHealth>,
    /// Network mode.
    pub network: NetworkMode,
    /// CPU units reserved for the container (1024 = one vCPU); `None`: a share of the task's.
    pub cpu_units: Option<u32>,
    /// Hard memory limit in MiB; `None`: the task's (or the host's).
    pub memory_mib: Option<u32>,
    /// User (`uid`, `uid:gid` or a name) the process runs as; the image's when `None`.
    pub user: Option<String>,
    /// Working directory; the image's when `None`.
    pub working_dir: Option<String>,
    /// Seconds between SIGTERM and SIGKILL on stop; the runtime's default when `None`.
    pub stop_timeout_seconds: Option<u32>,
    /// The root file system is read-only (writable paths must be mounts).
    pub read_only_root_filesystem: bool,
    /// Why the image's tag could not be checked against its upstream (its published tags,
    /// changelog, Dockerfile); validation warns with it
    /// ([`crate::diag::Code::UncheckedImageTag`]) so that synth says so.
    pub unverified_image: Option<String>,
}

impl Container {
    /// A container with only a name and an image; fill the rest with struct update syntax or
    /// the `with_*` methods.
    pub fn new(name: impl Into<String>, image: &str) -> Self {
        Self {
            name: name.into(),
            image: Image::parse(image),
            command: Vec::new(),
            env: Vec::new(),
            ports: Vec::new(),
            mounts: Vec::new(),
            restart: Restart::Always,
            health: None,
            network: NetworkMode::Bridge,
            cpu_units: None,
            memory_mib: None,
            user: None,
            working_dir: None,
            stop_timeout_seconds: None,
            read_only_root_filesystem: false,
            unverified_image: None,
        }
    }

    /// Records why the image's tag could not be checked against its upstream (synth warns).
    #[must_use]
    pub fn with_unverified_image(mut self, reason: Option<&str>) -> Self {
        self.unverified_image = reason.map(str::to_owned);
        self
    }

    /// Sets the command.
    #[must_use]
    pub fn with_command<I: IntoIterator<Item = S>, S: Into<String>>(mut self, command: I) -> Self {
        self.command = command.into_iter().map(Into::into).collect();
        self
    }

    /// Adds an environment variable.
    #[must_use]
    pub fn with_env(mut self, name: impl Into<String>, value: impl Into<Value<String>>) -> Self {
        self.env.push(EnvVar { name: name.into(), value: value.into() });
        self
    }

    /// Publishes `host` -> `container` over TCP.
    #[must_use]
    pub fn with_port(mut self, host: u16, container: u16) -> Self {
        self.ports.push(PortMapping::tcp(host, container));
        self
    }

    /// Publishes `host` -> `container` over UDP.
    #[must_use]
    pub fn with_udp_port(mut self, host: u16, container: u16) -> Self {
        self.ports.push(PortMapping::udp(host, container));
        self
    }

    /// Adds a mount.
    #[must_use]
    pub fn with_mount(mut self, source: impl Into<String>, target: impl Into<String>, read_only: bool) -> Self {
        self.mounts.push(Mount { source: source.into(), target: target.into(), read_only });
        self
    }

    /// Sets the health check.
    #[must_use]
    pub fn with_health(mut self, health: ContainerHealth) -> Self {
        self.health = Some(health);
        self
    }

    /// True when some environment value is (or contains) a secret.
    pub fn has_secrets(&self) -> bool {
        self.env.iter().any(|e| e.value.contains_secret())
    }
}

/// A file written on the host at boot.
#[derive(Debug, Clone, Serialize, Refs)]
pub struct HostFile {
    /// Absolute path.
    pub path: String,
    /// Octal mode, e.g. `0o755`.
    pub mode: u32,
    /// Content (literal; files that need deploy-time values are env files of containers).
    pub content: String,
}

/// A cron job (`/etc/cron.d`).
#[derive(Debug, Clone, Serialize, Refs)]
pub struct CronJob {
    /// File name under `/etc/cron.d` (letters, digits, `-`, `_`).
    pub name: String,
    /// Five-field schedule, e.g. `*/5 * * * *`.
    pub schedule: String,
    /// User the command runs as.
    pub user: String,
    /// The command.
    pub command: String,
}

/// The setup of one host, rendered to cloud-init user data.
#[derive(Debug, Clone, Serialize, Default, Refs)]
pub struct HostConfig {
    /// Host name shown in logs and file names, e.g. `aquamark-web`.
    pub name: String,
    /// Distribution packages to install.
    pub packages: Vec<String>,
    /// Install Docker if the image lacks it.
    pub docker: bool,
    /// Files to write.
    pub files: Vec<HostFile>,
    /// Containers to run.
    pub containers: Vec<Container>,
    /// Cron jobs.
    pub cron: Vec<CronJob>,
    /// A swap file (its tuning is written with the kernel settings).
    pub swap: Option<Swap>,
    /// The host firewall (deny incoming except the rules).
    pub firewall: Option<Firewall>,
    /// Kernel settings (`/etc/sysctl.d/60-iac.conf`), e.g. `net.core.somaxconn = 1024`.
    pub sysctl: std::collections::BTreeMap<String, String>,
    /// systemd services (commands or containers), enabled and started at first boot.
    pub units: Vec<SystemdUnit>,
    /// systemd timers.
    pub timers: Vec<SystemdTimer>,
    /// Programs run by supervisord.
    pub supervisor: Vec<SupervisorProgram>,
    /// nginx sites.
    pub nginx_sites: Vec<NginxSite>,
    /// Install the AWS CLI (also installed when a container needs a secret at boot).
    pub aws_cli: bool,
    /// The schema migration run before the containers it names start (see [`Migration`]).
    pub migration: Option<Migration>,
    /// Data volumes mounted at boot (EC2 hosts; see [`crate::patterns::Host`]).
    pub data_mounts: Vec<DataMount>,
}

/// A one-off schema migration (`alembic upgrade head`), modelled once and run wherever the app
/// runs, before the services that need the new schema take traffic, on the first deploy and in
/// every release:
///
/// - on hosts ([`HostConfig::migration`]): a oneshot unit at every boot, holding a lock shared by
///   every host of the stack (an SSM parameter, so twenty web instances booting at once migrate
///   one after the other), that the containers named in `before` require;
/// - in compose: a one-off service those services wait for (`service_completed_successfully`);
/// - on Kubernetes: a Job named after the image's version, applied and waited for before the
///   Deployments (the file's header says how).
#[derive(Debug, Clone, Serialize, Refs)]
pub struct Migration {
    /// The one-off container: the app's image and environment, the migration as its command,
    /// never restarted. Its name names the unit, the compose service and the Job.
    pub container: Container,
    /// The containers that start only once it has succeeded (the web role...).
    pub before: Vec<String>,
}

impl Migration {
    /// Runs `container` (its restart policy becomes [`Restart::No`]) before the containers named
    /// in `before`.
    pub fn new<I: IntoIterator<Item = S>, S: Into<String>>(container: Container, before: I) -> Self {
        Self {
            container: Container { restart: Restart::No, ..container },
            before: before.into_iter().map(Into::into).collect(),
        }
    }

    /// Its unit's name.
    pub fn unit_name(&self) -> String {
        format!("{}.service", self.container.name)
    }

    /// The oneshot unit that runs it at boot, under its lock (named after the container).
    pub fn unit(&self) -> SystemdUnit {
        let mut unit =
            SystemdUnit::container(self.container.clone(), format!("Schema migration {}", self.container.name));
        unit.lock = Some(self.container.name.clone());
        unit
    }
}

impl HostConfig {
    /// True when a container needs a secret at boot (the AWS CLI and jq are installed).
    pub fn needs_secrets(&self) -> bool {
        self.all_containers().any(Container::has_secrets)
    }

    /// Every container of the host: the migration's, the host's own, then those its units run.
    pub fn all_containers(&self) -> impl Iterator<Item = &Container> {
        self.migration
            .iter()
            .map(|m| &m.container)
            .chain(&self.containers)
            .chain(self.units.iter().filter_map(|u| u.container.as_ref()))
    }

    /// Every systemd unit of the host: one per container of [`HostConfig::containers`] (named
    /// after it, see [`SystemdUnit::container`]), then [`HostConfig::units`]. Each container runs
    /// under systemd, so one that cannot start (its image missing and the registry unreachable,
    /// its env file missing) fails alone and is retried, and the rest of the host comes up.
    pub fn all_units(&self) -> Vec<SystemdUnit> {
        let migration = self.migration.as_ref();
        migration
            .map(Migration::unit)
            .into_iter()
            .chain(self.containers.iter().map(|c| {
                let mut unit = SystemdUnit::container(c.clone(), format!("Container {} of {}", c.name, self.name));
                if let Some(m) = migration.filter(|m| m.before.contains(&c.name)) {
                    unit.after.push(m.unit_name());
                    unit.requires.push(m.unit_name());
                }
                unit
            }))
            .chain(self.units.iter().cloned())
            .collect()
    }

    /// True when Docker is needed (asked for, or some container runs).
    pub fn needs_docker(&self) -> bool {
        self.docker || self.all_containers().next().is_some()
    }

    /// The kernel settings written to the host: [`HostConfig::sysctl`] plus the swap tuning.
    pub fn kernel_settings(&self) -> std::collections::BTreeMap<String, String> {
        let mut out = self.sysctl.clone();
        if let Some(swap) = &self.swap {
            if let Some(v) = swap.swappiness {
                out.insert("vm.swappiness".into(), v.to_string());
            }
            if let Some(v) = swap.vfs_cache_pressure {
                out.insert("vm.vfs_cache_pressure".into(), v.to_string());
            }
        }
        out
    }

    /// True when the host uses any setup beyond packages, Docker, files, containers and cron
    /// (what an AMI bake can carry).
    pub fn uses_declarative_setup(&self) -> bool {
        self.swap.is_some()
            || self.firewall.is_some()
            || !self.sysctl.is_empty()
            || !self.units.is_empty()
            || !self.timers.is_empty()
            || !self.supervisor.is_empty()
            || !self.nginx_sites.is_empty()
            || !self.data_mounts.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_parsing_and_pinning() {
        let cases = [
            ("vpac/aquamark:1.0.1", "vpac/aquamark", Some("1.0.1"), false),
            ("registry:5000/team/app:2", "registry:5000/team/app", Some("2"), false),
            ("registry:5000/team/app", "registry:5000/team/app", None, true),
            ("vpac/aquamark", "vpac/aquamark", None, true),
            ("vpac/aquamark:latest", "vpac/aquamark", Some("latest"), true),
        ];
        for (s, repo, tag, bad) in cases {
            let img = Image::parse(s);
            assert_eq!(img.repository, repo, "{s}");
            if let Some(tag) = tag {
                assert_eq!(img.reference, ImageRef::Tag(tag.into()), "{s}");
            }
            assert_eq!(img.pin_problem().is_some(), bad, "{s}");
            assert_eq!(img.to_string(), s);
        }
        let d = Image::parse("app@sha256:abc");
        assert_eq!(d.reference, ImageRef::Digest("sha256:abc".into()));
        assert!(d.pin_problem().is_none());
    }
}

/// Where a bake starts from.
#[derive(Debug, Clone, Serialize)]
pub enum BaseImage {
    /// The newest image of `owners` whose name matches `name` (a wildcard pattern).
    Lookup {
        /// Account ids or aliases (`099720109477` is Canonical).
        owners: Vec<String>,
        /// Name pattern, e.g. `ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-*`.
        name: String,
    },
    /// A fixed image id.
    Id(String),
}

/// The root EBS volume.
#[derive(Debug, Clone, Serialize, Refs)]
pub struct RootVolume {
    /// Device name of the AMI's root, `/dev/sda1` on Ubuntu, `/dev/xvda` on Amazon Linux.
    pub device_name: String,
    /// Size in GiB.
    pub size_gib: u32,
    /// `gp3` ("General Purpose SSD").
    pub volume_type: String,
    /// Encrypted at rest (validation requires it).
    pub encrypted: bool,
}

impl RootVolume {
    /// An encrypted gp3 root volume.
    pub fn gp3(device_name: impl Into<String>, size_gib: u32) -> Self {
        Self { device_name: device_name.into(), size_gib, volume_type: "gp3".into(), encrypted: true }
    }
}

/// An AMI bake: a builder instance from a base image runs the setup of `host` in bake mode
/// (packages, Docker, files, cron, container images pulled but not started, no secrets), and
/// the image is saved as `<name>-v<version>-<build>`.
#[derive(Debug, Clone, Serialize)]
pub struct Bake {
    /// Image name prefix, e.g. `aq-web`.
    pub name: String,
    /// Base image.
    pub base: BaseImage,
    /// Builder instance type.
    pub instance_type: String,
    /// SSH user of the base image (Packer connects with it).
    pub ssh_username: String,
    /// Root volume of the image.
    pub root_volume: RootVolume,
    /// What the image holds.
    pub host: HostConfig,
}

#[cfg(test)]
mod port_tests {
    use super::*;

    #[test]
    fn ports_are_tcp_unless_udp_is_asked_for() {
        let c = Container::new("m", "influxdb:1.11.8").with_port(80, 8080).with_udp_port(25826, 25826);
        assert_eq!(c.ports[0].protocol, PortProtocol::Tcp);
        assert_eq!(c.ports[0].short_syntax(), "80:8080");
        assert_eq!(c.ports[1].protocol, PortProtocol::Udp);
        assert_eq!(c.ports[1].short_syntax(), "25826:25826/udp");
        assert_eq!((PortProtocol::Udp.as_lower(), PortProtocol::Udp.as_upper()), ("udp", "UDP"));
    }
}
