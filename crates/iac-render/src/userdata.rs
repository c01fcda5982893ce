//! cloud-init user data: a `#cloud-config` document (`templates/cloud-config.yaml.tera`) for
//! every host, EC2 or elsewhere, and the boot script it runs (`templates/userdata.sh.tera`).
//!
//! cloud-init installs the packages, makes the swap file and writes every file: the host's own,
//! cron jobs, kernel settings, systemd units and timers, supervisor programs, nginx sites (see
//! [`crate::cloudinit`]) and the boot script, which then runs once: it installs Docker, fetches
//! secrets through the instance role (Secrets Manager or SSM; never written into the template),
//! writes each container's env file (mode 0600), starts the containers, applies the firewall and
//! kernel settings, and enables the units. The same script in bake mode is the AMI bake.
//!
//! Values known only at deploy time (a database endpoint, the region) cannot be text in the
//! template, so [`segments`] returns the document as text interleaved with those values, and
//! each backend joins them in its own syntax (`Fn::Join`, HCL `join`).
//!
//! The same script renders an AMI bake in two forms: [`bake_script`], the setup alone (run by
//! Packer over SSH), and [`builder_script`], the user data of the SDK engine's builder instance,
//! which ends by tagging its own instance [`BAKE_STATUS_TAG`] = [`BAKE_DONE`] (or
//! [`BAKE_FAILED`] from an exit trap) through IMDSv2 and its instance role: the engine polls
//! that tag, so the builder needs no inbound access at all. [`update_script`] re-runs a host's
//! containers on new images (a rollout's host update, sent through SSM).

use std::collections::HashMap;
use std::fmt::Write as _;

use iac_core::app::{Container, HostConfig};
use iac_core::model::ResourceEntry;
use iac_core::value::{SecretEncoding, SecretRef, SecretSource, Value};
use iac_core::{LogicalId, Stack};
use serde::Serialize;

use crate::error::RenderError;
use crate::templates;

/// A piece of rendered user data.
#[derive(Debug, Clone, PartialEq)]
pub enum Segment {
    /// Literal script text.
    Text(String),
    /// A deploy-time value (attribute, parameter or pseudo value; never a secret).
    Value(Value<String>),
}

/// Opening and closing marks of a deploy-time value while the template renders. They are
/// private-use characters that never occur in a template or in model text (checked), and are
/// gone from the result: [`segments`] splits on them.
const OPEN: char = '\u{E000}';
const CLOSE: char = '\u{E001}';

/// Collects deploy-time values while the template context is built.
struct Slots {
    values: Vec<Value<String>>,
    secrets: Vec<SecretRef>,
}

impl Slots {
    fn slot(&mut self, v: &Value<String>) -> String {
        self.values.push(v.clone());
        format!("{OPEN}{}{CLOSE}", self.values.len() - 1)
    }

    /// A shell word that evaluates to `v` inside single-quoted context.
    fn word(&mut self, v: &Value<String>) -> String {
        match v {
            Value::Lit(s) => shell_quote(s),
            Value::Join(parts) => parts.iter().map(|p| self.word(p)).collect(),
            Value::Secret(s) => {
                let idx = self.secrets.iter().position(|x| x == s).unwrap_or_else(|| {
                    self.secrets.push(s.clone());
                    self.secrets.len() - 1
                });
                format!("\"${{IAC_SECRET_{idx}}}\"")
            }
            Value::Attr(_) | Value::Param(_) | Value::Pseudo(_) => format!("'{}'", self.slot(v)),
        }
    }
}

/// Quotes `s` for a POSIX shell: `'...'` with embedded quotes escaped.
pub fn shell_quote(s: &str) -> String {
    if !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "-_./:=@%+,".contains(c)) {
        return s.to_owned();
    }
    format!("'{}'", s.replace('\'', r"'\''"))
}

#[derive(Serialize)]
struct SecretCtx {
    var: String,
    kind: &'static str,
    id: String,
    key: String,
    encoding: &'static str,
}

#[derive(Serialize)]
struct ContainerCtx {
    name: String,
    image: String,
    /// The systemd unit that runs it.
    unit: String,
    env_file: String,
    env_lines: Vec<String>,
    /// The variables of the secrets its env file needs (read when it is written).
    secrets: Vec<String>,
    /// The user its unit runs as, who owns its env file (the docker CLI reads it), if not root.
    owner: Option<String>,
}

#[derive(Serialize)]
struct UserCtx {
    name: String,
    /// It runs containers: a member of the docker group.
    docker: bool,
}

#[derive(Serialize)]
struct FileCtx {
    path: String,
    mode: String,
    content: String,
    delimiter: String,
}

#[derive(Serialize)]
struct DataMountCtx {
    volume: String,
    xen_device: String,
    mount_point: String,
    fs: &'static str,
    binds: Vec<DataBindCtx>,
    dropins: Vec<DropInCtx>,
}

#[derive(Serialize)]
struct DataBindCtx {
    source: String,
    target: String,
    owner: String,
}

#[derive(Serialize)]
struct DropInCtx {
    unit: String,
    /// The paths as one word (`RequiresMountsFor=`).
    paths: String,
    /// The paths as one word each (a `ConditionPathIsMountPoint=` line each).
    mounted: String,
}

/// A data volume's mount, binds and the units ordered after them (see
/// [`iac_core::app::DataMount`]).
fn data_mount_ctx(m: &iac_core::app::DataMount, slots: &mut Slots) -> DataMountCtx {
    let paths = shell_quote(&m.required_paths().join(" "));
    let mounted = m.required_paths().iter().map(|p| shell_quote(p)).collect::<Vec<_>>().join(" ");
    DataMountCtx {
        volume: slots.word(&m.volume_id),
        xen_device: shell_quote(&m.xen_device),
        mount_point: shell_quote(&m.mount_point),
        fs: m.file_system.as_str(),
        binds: m
            .binds
            .iter()
            .map(|b| DataBindCtx {
                source: shell_quote(&b.source),
                target: shell_quote(&b.target),
                owner: shell_quote(&b.owner),
            })
            .collect(),
        dropins: m
            .required_by
            .iter()
            .map(|u| DropInCtx { unit: shell_quote(u), paths: paths.clone(), mounted: mounted.clone() })
            .collect(),
    }
}

#[derive(Serialize)]
struct CronCtx {
    name: String,
    line: String,
}

/// The tag the bake builder sets on its own instance when it is done or has failed.
pub const BAKE_STATUS_TAG: &str = "iac:bake-status";
/// [`BAKE_STATUS_TAG`] value: the setup finished and the instance can be imaged.
pub const BAKE_DONE: &str = "done";
/// [`BAKE_STATUS_TAG`] value: the setup failed (the console output says why).
pub const BAKE_FAILED: &str = "failed";

/// Directory of the env files on the host.
pub const ENV_DIR: &str = "/etc/iac";
/// Where the boot script is written; cloud-init's `runcmd` runs it.
pub const BOOT_SCRIPT: &str = "/var/lib/iac/boot.sh";

/// Where a host runs: AWS hosts get the region and can read AWS secrets; hosts elsewhere
/// (a DigitalOcean droplet) get the same document without them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cloud {
    /// An EC2 instance with an instance role.
    Aws,
    /// Any other cloud-init host.
    Generic,
}

fn container_ctx(c: &Container, slots: &mut Slots) -> ContainerCtx {
    let env_file = format!("{ENV_DIR}/{}.env", c.name);
    let env_lines =
        c.env.iter().map(|e| format!("{}{}", shell_quote(&format!("{}=", e.name)), slots.word(&e.value))).collect();
    let mut used = Vec::new();
    for e in &c.env {
        secrets_in(&e.value, &mut used);
    }
    let secrets = used
        .iter()
        .map(|s| {
            let i = slots.secrets.iter().position(|x| x == s).expect("every secret of the env lines has a slot");
            format!("IAC_SECRET_{i}")
        })
        .collect();
    ContainerCtx {
        name: c.name.clone(),
        image: shell_quote(&c.image.to_string()),
        unit: format!("{}.service", c.name),
        env_file,
        env_lines,
        secrets,
        owner: None,
    }
}

/// The secrets inside `v`, each once, in order.
fn secrets_in(v: &Value<String>, out: &mut Vec<SecretRef>) {
    match v {
        Value::Secret(s) if !out.contains(s) => out.push(s.clone()),
        Value::Join(parts) => parts.iter().for_each(|p| secrets_in(p, out)),
        _ => {}
    }
}

/// Docker's `--health-cmd` takes a shell command; the model keeps the compose/ECS form
/// (`["CMD-SHELL", "cmd"]` or `["CMD", "prog", "arg"...]`).
pub(crate) fn health_shell_command(command: &[String]) -> String {
    match command.split_first() {
        Some((first, rest)) if first == "CMD-SHELL" => rest.join(" "),
        Some((first, rest)) if first == "CMD" => rest.iter().map(|a| shell_quote(a)).collect::<Vec<_>>().join(" "),
        _ => command.iter().map(|a| shell_quote(a)).collect::<Vec<_>>().join(" "),
    }
}

fn secret_ctx(i: usize, s: &SecretRef, slots: &mut Slots) -> SecretCtx {
    let (kind, id) = match &s.source {
        SecretSource::SecretsManager(id) => ("secretsmanager", slots.word(id)),
        SecretSource::SsmSecureString(name) => ("ssm", shell_quote(name)),
    };
    SecretCtx {
        var: format!("IAC_SECRET_{i}"),
        kind,
        id,
        key: shell_quote(s.json_key.as_deref().unwrap_or("")),
        encoding: match s.encoding {
            SecretEncoding::Raw => "raw",
            SecretEncoding::Url => "url",
        },
    }
}

/// The resources of `stack` that carry user data, in stack order: launch templates and instances
/// (on AWS) and droplets (elsewhere), each with its host and cloud.
pub fn hosts(stack: &Stack) -> impl Iterator<Item = (&ResourceEntry, &HostConfig, Cloud)> {
    stack.resources().filter_map(|entry| {
        let host = entry.resource.host()?;
        let cloud = if entry.resource.is_digitalocean() { Cloud::Generic } else { Cloud::Aws };
        Some((entry, host, cloud))
    })
}

/// Every host's user data of one stack, rendered once ([`UserData::render`]) and then shared by
/// the targets that embed it (CloudFormation, Terraform) or write it (`userdata/`): the
/// templates run once per host and synth, not once per host and target. The caller holds it
/// and passes it to each renderer; it is plain data, valid for the stack it was rendered from.
#[derive(Debug, Clone, Default)]
pub struct UserData {
    /// By the logical id of the resource that carries it.
    by_resource: HashMap<String, Vec<Segment>>,
}

impl UserData {
    /// Renders the user data of every resource of `stack` that has some ([`hosts`]).
    pub fn render(stack: &Stack) -> Result<Self, RenderError> {
        let mut by_resource = HashMap::new();
        for (entry, host, cloud) in hosts(stack) {
            by_resource.insert(entry.id.to_string(), segments_for(stack, host, cloud)?);
        }
        Ok(Self { by_resource })
    }

    /// The user data of resource `id` as text and deploy-time values ([`segments_for`]).
    pub fn segments(&self, id: &LogicalId) -> Option<&[Segment]> {
        self.of(id.as_str())
    }

    /// [`UserData::segments`] by the id's text (renderers that keep the id being rendered as
    /// text for their messages).
    pub(crate) fn of(&self, id: &str) -> Option<&[Segment]> {
        self.by_resource.get(id).map(Vec::as_slice)
    }

    /// The user data of resource `id` as one text, deploy-time values as placeholders
    /// ([`render_text_for`]).
    pub fn text(&self, id: &LogicalId) -> Option<String> {
        self.segments(id).map(text_of)
    }

    /// The error of a renderer given user data that lacks resource `id`'s (user data of another
    /// stack, or of none).
    pub(crate) fn missing(stack: &Stack, id: &str, property: &str) -> RenderError {
        RenderError::Unsupported {
            stack: stack.name().to_owned(),
            resource: id.to_owned(),
            property: property.to_owned(),
            message: "its user data was not rendered: pass the `UserData::render` of this stack".into(),
        }
    }
}

/// Renders `host`'s user data for an EC2 host as text and deploy-time values: a `#cloud-config`
/// document (packages, swap, files, units, sites...) whose boot script does the rest.
pub fn segments(stack: &Stack, host: &HostConfig) -> Result<Vec<Segment>, RenderError> {
    segments_for(stack, host, Cloud::Aws)
}

/// [`segments`] for a host on `cloud`.
pub fn segments_for(stack: &Stack, host: &HostConfig, cloud: Cloud) -> Result<Vec<Segment>, RenderError> {
    let mut slots = Slots { values: Vec::new(), secrets: Vec::new() };
    let text = cloud_config(stack, host, cloud, &mut slots)?;
    Ok(split(&text, &slots.values))
}

/// The bake script of `bake`: the same setup in bake mode (images pulled, nothing started, no
/// secrets, cloud-init cleaned at the end). It has no deploy-time values.
pub fn bake_script(stack: &Stack, bake: &iac_core::app::Bake) -> Result<String, RenderError> {
    text_only(stack, bake, Mode::Bake)
}

/// The user data of the SDK engine's builder instance for `bake`: [`bake_script`] with the
/// signalling around it. An exit trap tags the instance [`BAKE_STATUS_TAG`] = [`BAKE_FAILED`]
/// when any step fails; the last step tags it [`BAKE_DONE`]. The tag is written with the AWS CLI
/// (installed first if the image lacks it) through the instance role, which must allow
/// `ec2:CreateTags` on the instance; the instance id and region come from IMDSv2.
pub fn builder_script(stack: &Stack, bake: &iac_core::app::Bake) -> Result<String, RenderError> {
    text_only(stack, bake, Mode::Builder)
}

/// What the script template renders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Boot-time setup of an instance.
    Boot,
    /// The bake setup alone (Packer runs it).
    Bake,
    /// The bake setup as a builder instance's user data, signalling through its own tags.
    Builder,
}

fn text_only(stack: &Stack, bake: &iac_core::app::Bake, mode: Mode) -> Result<String, RenderError> {
    let mut slots = Slots { values: Vec::new(), secrets: Vec::new() };
    let text = script(stack, &bake.host, mode, Cloud::Generic, &mut slots)?;
    let mut out = String::new();
    for seg in split(&text, &slots.values) {
        match seg {
            Segment::Text(t) => out.push_str(&t),
            Segment::Value(v) => unreachable!("bake mode renders no deploy-time value, found {v:?}"),
        }
    }
    Ok(out)
}

/// A script that runs `host`'s containers on the images `host` names (a rollout's in-place
/// update of a host, sent through SSM Run Command): every image is pulled first, then each
/// container's unit gets a drop-in with its new image and is restarted (the migration's unit
/// gets its drop-in and runs at the next boot). The env files written at
/// boot are kept (they hold secrets read through the instance role; a changed environment needs
/// a new host).
pub fn update_script(host: &HostConfig) -> String {
    let mut out = format!(
        "#!/bin/bash\n# Update of {}: its containers on new images, generated by iac-rs.\nset -euo pipefail\n",
        host.name
    );
    let migration = host.migration.as_ref().map(|m| &m.container);
    for c in migration.into_iter().chain(&host.containers) {
        let _ = writeln!(out, "docker pull {}", shell_quote(&c.image.to_string()));
    }
    // The migration runs on the new image at the next boot (a rollout runs it before this).
    for c in migration.into_iter().chain(&host.containers) {
        let unit = format!("{}.service", c.name);
        let drop_in = crate::cloudinit::image_drop_in(&unit, &c.image.to_string());
        let env_file = format!("{ENV_DIR}/{}.env", c.name);
        let _ = writeln!(out, "# container {}", c.name);
        if !c.env.is_empty() {
            let _ = writeln!(
                out,
                "test -f {env_file} || {{ echo \"iac: {env_file} is missing; the host was not set up by its user data\" >&2; exit 1; }}"
            );
        }
        let dir = drop_in.path.rsplit_once('/').map_or("/", |(d, _)| d);
        let _ = writeln!(out, "install -d -m 0755 {dir}");
        let _ = writeln!(out, "cat > {} <<'IAC_EOF'\n{}IAC_EOF", drop_in.path, drop_in.content);
    }
    out.push_str("systemctl daemon-reload\n");
    for c in &host.containers {
        let _ = writeln!(out, "systemctl restart {}.service", c.name);
    }
    out
}

/// The packages cloud-init installs: the host's, plus what its setup needs (ufw, supervisor,
/// nginx), each once.
fn packages(host: &HostConfig) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let implied = [
        (host.firewall.is_some(), "ufw"),
        (!host.supervisor.is_empty(), "supervisor"),
        (!host.nginx_sites.is_empty(), "nginx"),
    ];
    for p in host.packages.iter().map(String::as_str).chain(implied.iter().filter(|(on, _)| *on).map(|(_, p)| *p)) {
        let covered = out.iter().any(|x| x == p || (p == "nginx" && x.starts_with("nginx")));
        if !covered {
            out.push(p.to_owned());
        }
    }
    out
}

fn ufw_rules(host: &HostConfig) -> Vec<String> {
    let Some(fw) = &host.firewall else { return Vec::new() };
    let mut out = Vec::new();
    for r in &fw.rules {
        let comment = shell_quote(&r.comment);
        let sources: Vec<&str> =
            if r.is_world() { vec!["any"] } else { r.sources.iter().map(String::as_str).collect() };
        for s in sources {
            out.push(format!("proto {} from {s} to any port {} comment {comment}", r.protocol.as_str(), r.port));
        }
    }
    out
}

/// The boot (or bake) script as text with slot marks.
#[allow(clippy::too_many_lines)] // the template's context, one line per variable
fn script(
    stack: &Stack,
    host: &HostConfig,
    mode: Mode,
    cloud: Cloud,
    slots: &mut Slots,
) -> Result<String, RenderError> {
    let bake = mode != Mode::Boot;
    // A bake pulls the images of the host's own containers; a boot writes the env files of every
    // container (the units run them).
    let mut containers: Vec<ContainerCtx> = if bake {
        host.containers.iter().map(|c| container_ctx(c, slots)).collect()
    } else {
        host.all_containers().map(|c| container_ctx(c, slots)).collect()
    };
    for (c, unit) in containers.iter_mut().map(|c| {
        let unit = host.all_units().into_iter().find(|u| u.name == c.unit);
        (c, unit)
    }) {
        c.owner = unit.and_then(|u| u.user).filter(|u| u != "root");
    }
    let needs_secrets = !bake && containers.iter().any(|c| !c.secrets.is_empty());
    let secret_refs = if bake { Vec::new() } else { slots.secrets.clone() };
    let secrets: Vec<SecretCtx> = secret_refs.iter().enumerate().map(|(i, s)| secret_ctx(i, s, slots)).collect();
    let region = if bake || cloud != Cloud::Aws {
        String::new()
    } else {
        slots.slot(&Value::Pseudo(iac_core::value::Pseudo::Region))
    };
    // At boot, cloud-init installs the packages and writes the files; a bake does it itself.
    let files: Vec<FileCtx> = if bake {
        host.files
            .iter()
            .map(|f| FileCtx {
                path: shell_quote(&f.path),
                mode: format!("{:04o}", f.mode),
                delimiter: heredoc_delimiter(&f.content),
                content: f.content.trim_end_matches('\n').to_owned(),
            })
            .collect()
    } else {
        Vec::new()
    };
    let cron: Vec<CronCtx> = if bake {
        host.cron.iter().map(|j| CronCtx { name: j.name.clone(), line: cron_line(j) }).collect()
    } else {
        Vec::new()
    };
    let package_list =
        if bake { host.packages.iter().map(|p| shell_quote(p)).collect::<Vec<_>>().join(" ") } else { String::new() };
    let replaced: Vec<String> =
        host.supervisor.iter().filter_map(|p| p.replaces_unit.as_deref().map(shell_quote)).collect();
    let nginx_supervised = host.supervisor.iter().any(|p| p.replaces_unit.as_deref() == Some("nginx.service"));
    let enable: Vec<String> = start_order(host.all_units())
        .iter()
        .filter(|u| !u.wanted_by.is_empty())
        .map(|u| u.name.clone())
        .chain(host.timers.iter().map(|t| t.name.clone()))
        .collect();
    let setup = !bake;
    // The users units run as are made at first boot (system users; in the docker group when the
    // unit runs a container).
    let mut users: Vec<UserCtx> = Vec::new();
    if setup {
        for u in host.all_units() {
            let Some(name) = u.user.clone().filter(|n| n != "root") else { continue };
            match users.iter_mut().find(|x| x.name == name) {
                Some(x) => x.docker |= u.container.is_some(),
                None => users.push(UserCtx { name, docker: u.container.is_some() }),
            }
        }
    }
    let data_mounts: Vec<DataMountCtx> =
        if setup { host.data_mounts.iter().map(|m| data_mount_ctx(m, slots)).collect() } else { Vec::new() };

    let mut ctx = tera::Context::new();
    ctx.insert("bake", &bake);
    ctx.insert("signal", &(mode == Mode::Builder));
    ctx.insert("status_tag", BAKE_STATUS_TAG);
    ctx.insert("done", BAKE_DONE);
    ctx.insert("failed", BAKE_FAILED);
    ctx.insert("phase", if bake { "bake" } else { "boot setup" });
    ctx.insert("stack", stack.name());
    ctx.insert("env", stack.env());
    ctx.insert("host", &host.name);
    ctx.insert("packages", &package_list);
    ctx.insert("docker", &host.needs_docker());
    ctx.insert("aws_cli", &(setup && (host.aws_cli || needs_secrets)));
    ctx.insert("needs_secrets", &needs_secrets);
    ctx.insert("secrets", &secrets);
    ctx.insert("users", &users);
    ctx.insert("region", &region);
    ctx.insert("env_dir", ENV_DIR);
    ctx.insert("containers", &containers);
    ctx.insert("files", &files);
    ctx.insert("cron", &cron);
    ctx.insert("sysctl", if setup && !host.kernel_settings().is_empty() { crate::cloudinit::SYSCTL_FILE } else { "" });
    ctx.insert("firewall", &if setup { ufw_rules(host) } else { Vec::new() });
    ctx.insert("replaced_units", &if setup { replaced.join(" ") } else { String::new() });
    ctx.insert("nginx", &(setup && !host.nginx_sites.is_empty()));
    ctx.insert("nginx_systemd", &(setup && !host.nginx_sites.is_empty() && !nginx_supervised));
    ctx.insert("supervisor", &(setup && !host.supervisor.is_empty()));
    ctx.insert("units", &(setup && !(enable.is_empty() && host.units.is_empty())));
    ctx.insert("enable", &enable.join(" "));
    ctx.insert("start", &enable);
    ctx.insert("data_mounts", &data_mounts);
    templates::render(templates::BOOT_SCRIPT, &ctx).map_err(|source| RenderError::Template {
        stack: stack.name().to_owned(),
        host: host.name.clone(),
        template: templates::BOOT_SCRIPT.into(),
        source,
    })
}

/// The units in an order that keeps their `Before=` and `After=` between each other (the boot
/// script starts them one at a time, so systemd cannot order them itself), otherwise as given.
fn start_order(mut units: Vec<iac_core::app::SystemdUnit>) -> Vec<iac_core::app::SystemdUnit> {
    let first = |a: &iac_core::app::SystemdUnit, b: &iac_core::app::SystemdUnit| {
        a.before.contains(&b.name) || b.after.contains(&a.name)
    };
    // Insertion: each unit goes before the first one placed that must come after it.
    let mut out: Vec<iac_core::app::SystemdUnit> = Vec::with_capacity(units.len());
    for u in units.drain(..) {
        let at = out.iter().position(|o| first(&u, o)).unwrap_or(out.len());
        out.insert(at, u);
    }
    out
}

fn cron_line(j: &iac_core::app::CronJob) -> String {
    format!("{} {} {}", j.schedule, j.user, j.command)
}

#[derive(Serialize)]
struct WriteFileCtx {
    path: String,
    mode: String,
    content: String,
}

#[derive(Serialize)]
struct SwapCtx {
    path: String,
    bytes: u64,
}

/// The `#cloud-config` document with slot marks.
fn cloud_config(stack: &Stack, host: &HostConfig, cloud: Cloud, slots: &mut Slots) -> Result<String, RenderError> {
    use crate::cloudinit::{SetupFile, yaml_content, yaml_quote};
    let boot = script(stack, host, Mode::Boot, cloud, slots)?;
    let mut files: Vec<SetupFile> = host
        .files
        .iter()
        .map(|f| SetupFile { path: f.path.clone(), mode: f.mode, content: f.content.clone() })
        .collect();
    for j in &host.cron {
        files.push(SetupFile {
            path: format!("/etc/cron.d/{}", j.name),
            mode: 0o644,
            content: format!(
                "SHELL=/bin/sh\nPATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n{}\n",
                cron_line(j)
            ),
        });
    }
    files.extend(crate::cloudinit::setup_files(stack, host)?);
    files.push(SetupFile { path: BOOT_SCRIPT.into(), mode: 0o700, content: boot });
    let files: Vec<WriteFileCtx> = files
        .iter()
        .map(|f| WriteFileCtx {
            path: yaml_quote(&f.path),
            mode: format!("{:04o}", f.mode),
            content: yaml_content(&f.content, 4),
        })
        .collect();
    let mut ctx = tera::Context::new();
    ctx.insert("stack", stack.name());
    ctx.insert("env", stack.env());
    ctx.insert("host", &host.name);
    ctx.insert("boot_script", BOOT_SCRIPT);
    ctx.insert("packages", &packages(host).iter().map(|p| yaml_quote(p)).collect::<Vec<_>>());
    ctx.insert(
        "swap",
        &host.swap.as_ref().map(|s| SwapCtx { path: yaml_quote(&s.path), bytes: u64::from(s.size_mib) * 1024 * 1024 }),
    );
    ctx.insert("files", &files);
    templates::render(templates::CLOUD_CONFIG, &ctx).map_err(|source| RenderError::Template {
        stack: stack.name().to_owned(),
        host: host.name.clone(),
        template: templates::CLOUD_CONFIG.into(),
        source,
    })
}

/// A heredoc delimiter that does not occur as a line of `content`.
fn heredoc_delimiter(content: &str) -> String {
    let mut delim = "IAC_EOF".to_owned();
    let mut n = 0;
    while content.lines().any(|l| l == delim) {
        n += 1;
        delim = format!("IAC_EOF_{n}");
    }
    delim
}

fn split(text: &str, values: &[Value<String>]) -> Vec<Segment> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(OPEN) {
        let end = rest[start..].find(CLOSE).map(|e| start + e).expect("every slot is closed");
        if start > 0 {
            out.push(Segment::Text(rest[..start].to_owned()));
        }
        let idx: usize = rest[start + OPEN.len_utf8()..end].parse().expect("slot index");
        out.push(Segment::Value(values[idx].clone()));
        rest = &rest[end + CLOSE.len_utf8()..];
    }
    if !rest.is_empty() {
        out.push(Segment::Text(rest.to_owned()));
    }
    out
}

/// The script as one text, deploy-time values shown as `${<Resource>.<Attr>}`-style placeholders
/// (for the `userdata` target, which is read by people and checked by shellcheck; the backends use
/// [`segments`]).
pub fn render_text(stack: &Stack, host: &HostConfig) -> Result<String, RenderError> {
    render_text_for(stack, host, Cloud::Aws)
}

/// [`render_text`] for a host on `cloud`.
pub fn render_text_for(stack: &Stack, host: &HostConfig, cloud: Cloud) -> Result<String, RenderError> {
    Ok(text_of(&segments_for(stack, host, cloud)?))
}

/// Segments as one text, deploy-time values as placeholders.
fn text_of(segments: &[Segment]) -> String {
    let mut out =
        String::with_capacity(segments.iter().map(|s| if let Segment::Text(t) = s { t.len() } else { 16 }).sum());
    for seg in segments {
        match seg {
            Segment::Text(t) => out.push_str(t),
            Segment::Value(v) => {
                let _ = write!(out, "{}", placeholder(v));
            }
        }
    }
    out
}

fn placeholder(v: &Value<String>) -> String {
    match v {
        Value::Attr(r) => format!("<{}.{:?}>", r.id, r.attr),
        Value::Param(p) => format!("<parameter {p}>"),
        Value::Pseudo(p) => format!("<{p:?}>"),
        Value::Lit(s) => s.clone(),
        Value::Join(parts) => parts.iter().map(placeholder).collect(),
        Value::Secret(_) => "<secret>".into(),
    }
}

#[cfg(test)]
mod tests {
    use iac_core::StackBuilder;
    use iac_core::app::{
        CronJob, Firewall, FirewallRule, HostFile, NginxSite, ServiceType, SupervisorProgram, Swap, SystemdTimer,
        SystemdUnit,
    };
    use iac_core::value::{Attr, AttrRef};

    use super::*;

    fn stack() -> Stack {
        StackBuilder::new("demo", "dev").build().unwrap()
    }

    fn host() -> HostConfig {
        let mut redis = SupervisorProgram::new("redis", ["/usr/bin/redis-server", "--appendonly", "yes"]);
        redis.replaces_unit = Some("redis-server.service".into());
        let mut report =
            SystemdUnit::new("report.service", "report").of_type(ServiceType::Oneshot).exec(["/usr/local/bin/report"]);
        report.wanted_by.clear();
        HostConfig {
            name: "web".into(),
            packages: vec!["curl".into(), "nginx-light".into()],
            files: vec![HostFile {
                path: "/etc/app.conf".into(),
                mode: 0o600,
                content: "  indented\nkey=value".into(),
            }],
            cron: vec![CronJob {
                name: "tick".into(),
                schedule: "* * * * *".into(),
                user: "root".into(),
                command: "true".into(),
            }],
            swap: Some(Swap { swappiness: Some(10), ..Swap::file(2048) }),
            firewall: Some(Firewall {
                rules: vec![
                    FirewallRule::tcp(80, Vec::<String>::new(), "web"),
                    FirewallRule::tcp(8086, ["10.0.0.0/8", "192.168.0.0/16"], "admin's range"),
                ],
            }),
            units: vec![
                report,
                SystemdUnit::container(
                    Container::new("app", "example/app:1.0").with_env(
                        "DB_HOST",
                        Value::Attr(AttrRef {
                            id: iac_core::LogicalId::new("Db").unwrap(),
                            attr: Attr::EndpointAddress,
                        }),
                    ),
                    "app",
                ),
            ],
            timers: vec![SystemdTimer {
                name: "report.timer".into(),
                description: "nightly".into(),
                on_calendar: vec!["daily".into()],
                unit: None,
                persistent: false,
            }],
            supervisor: vec![redis],
            nginx_sites: vec![NginxSite::proxy("app", "app.example.org", 3000)],
            ..HostConfig::default()
        }
    }

    fn doc(text: &str) -> serde_yaml_ng::Value {
        serde_yaml_ng::from_str(text).unwrap_or_else(|e| panic!("{e}\n{text}"))
    }

    #[test]
    fn the_cloud_config_declares_packages_swap_and_every_file() {
        let text = render_text(&stack(), &host()).unwrap();
        assert!(text.starts_with("#cloud-config\n"));
        let d = doc(&text);
        let packages: Vec<&str> = d["packages"].as_sequence().unwrap().iter().map(|p| p.as_str().unwrap()).collect();
        assert_eq!(
            packages,
            ["curl", "nginx-light", "ufw", "supervisor"],
            "implied packages once, nginx-light covers nginx"
        );
        assert_eq!(d["swap"]["size"].as_u64(), Some(2048 * 1024 * 1024));
        assert_eq!(d["swap"]["filename"].as_str(), Some("/swapfile"));
        let files: Vec<(&str, &str, &str)> = d["write_files"]
            .as_sequence()
            .unwrap()
            .iter()
            .map(|f| (f["path"].as_str().unwrap(), f["permissions"].as_str().unwrap(), f["content"].as_str().unwrap()))
            .collect();
        let paths: Vec<&str> = files.iter().map(|f| f.0).collect();
        assert_eq!(
            paths,
            [
                "/etc/app.conf",
                "/etc/cron.d/tick",
                "/etc/sysctl.d/60-iac.conf",
                "/usr/local/sbin/iac-image",
                "/etc/systemd/system/report.service",
                "/etc/systemd/system/app.service",
                "/etc/systemd/system/report.timer",
                "/etc/supervisor/conf.d/redis.conf",
                "/etc/nginx/sites-enabled/app.conf",
                "/var/lib/iac/boot.sh",
            ]
        );
        assert_eq!(files[0].1, "0600");
        assert_eq!(files[0].2, "  indented\nkey=value", "content kept byte for byte");
        assert!(d["write_files"].as_sequence().unwrap().iter().all(|f| f["defer"].as_bool() == Some(true)));
        assert_eq!(d["runcmd"][0][1].as_str(), Some(BOOT_SCRIPT));
    }

    #[test]
    fn the_boot_script_activates_the_setup_in_order() {
        let text = render_text(&stack(), &host()).unwrap();
        let d = doc(&text);
        let boot = d["write_files"].as_sequence().unwrap().last().unwrap()["content"].as_str().unwrap().to_owned();
        let order = [
            "export AWS_DEFAULT_REGION='<Region>'",
            "systemctl restart systemd-sysctl.service",
            "ufw default deny incoming",
            "ufw allow proto tcp from any to any port 80 comment web",
            "ufw allow proto tcp from 10.0.0.0/8 to any port 8086 comment 'admin'\\''s range'",
            "ufw allow proto tcp from 192.168.0.0/16 to any port 8086",
            "ufw --force enable",
            "iac_firewall || iac_problem",
            "printf '%s\\n' DB_HOST='<Db.EndpointAddress>'",
            "mv /etc/iac/app.env.tmp /etc/iac/app.env",
            "iac_skip+=(app.service)",
            "for pattern in redis-server.service; do",
            "rm -f /etc/nginx/sites-enabled/default",
            "systemctl reload-or-restart nginx.service",
            "systemctl daemon-reload",
            "systemctl enable app.service report.timer",
            "iac_start app.service",
            "systemctl restart supervisor",
            "exit 1",
        ];
        let mut at = 0;
        for needle in order {
            let Some(i) = boot[at..].find(needle) else { panic!("`{needle}` missing or out of order in:\n{boot}") };
            at += i;
        }
        assert!(!boot.contains("iac_start report.service"), "a unit only its timer starts is not started at boot");
        assert!(!boot.contains("docker run") && !boot.contains("docker pull"), "the unit runs the container");
        assert!(!boot.contains("iac_install curl"), "cloud-init installs the packages");
    }

    #[test]
    fn deploy_time_values_are_segments_and_other_clouds_get_no_region() {
        let segs = segments(&stack(), &host()).unwrap();
        let values: Vec<&Value<String>> =
            segs.iter().filter_map(|s| if let Segment::Value(v) = s { Some(v) } else { None }).collect();
        assert_eq!(values.len(), 2, "{values:?}");
        assert!(values.contains(&&Value::Pseudo(iac_core::value::Pseudo::Region)));
        let generic = segments_for(&stack(), &host(), Cloud::Generic).unwrap();
        assert!(!generic.iter().any(|s| matches!(s, Segment::Value(Value::Pseudo(_)))));
        let text = render_text_for(&stack(), &host(), Cloud::Generic).unwrap();
        assert!(!text.contains("AWS_DEFAULT_REGION"));
    }

    #[test]
    fn a_bake_keeps_the_shell_script_form() {
        let bake = iac_core::app::Bake {
            name: "img".into(),
            base: iac_core::app::BaseImage::Id("ami-1".into()),
            instance_type: "t3.small".into(),
            ssh_username: "ubuntu".into(),
            root_volume: iac_core::model::RootVolume::gp3("/dev/sda1", 20),
            host: HostConfig {
                name: "img".into(),
                packages: vec!["git".into()],
                files: vec![HostFile { path: "/etc/x".into(), mode: 0o644, content: "x\n".into() }],
                containers: vec![Container::new("app", "example/app:1.0")],
                ..HostConfig::default()
            },
        };
        let script = bake_script(&stack(), &bake).unwrap();
        assert!(script.starts_with("#!/bin/bash\n"));
        for needle in
            ["iac_install git", "cat > /etc/x <<'IAC_EOF'", "iac_retry docker pull example/app:1.0", "cloud-init clean"]
        {
            assert!(script.contains(needle), "{needle}");
        }
        assert!(!script.contains("docker run") && !script.contains("AWS_DEFAULT_REGION"));
    }
}

#[cfg(test)]
mod update_tests {
    use super::*;
    use iac_core::app::Container;

    #[test]
    fn update_script_pulls_then_restarts_each_container_on_its_new_image() {
        let host = HostConfig {
            name: "daemons".into(),
            docker: true,
            containers: vec![
                Container::new("recalc", "example/app:2.0.0").with_command(["python3", "recalc.py"]).with_env("A", "1"),
                Container::new("notify", "example/app:2.0.0"),
            ],
            ..HostConfig::default()
        };
        let script = update_script(&host);
        let pulls = script.matches("docker pull example/app:2.0.0").count();
        assert_eq!(pulls, 2, "{script}");
        let first_drop_in =
            script.find("/etc/systemd/system/recalc.service.d/50-image.conf").expect("recalc's drop-in");
        assert!(script.rfind("docker pull").unwrap() < first_drop_in, "every pull comes first:\n{script}");
        assert!(script.contains("test -f /etc/iac/recalc.env"), "{script}");
        assert!(script.contains("Environment=IAC_IMAGE=example/app:2.0.0\n"), "{script}");
        let reload = script.find("systemctl daemon-reload").expect("reload");
        assert!(reload < script.find("systemctl restart recalc.service").expect("restart"), "{script}");
        assert!(script.contains("systemctl restart notify.service"), "{script}");
    }
}
