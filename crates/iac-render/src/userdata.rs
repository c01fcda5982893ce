//! cloud-init user data: a boot script rendered from `templates/userdata.sh.tera`.
//!
//! The script installs packages and Docker, fetches secrets at boot through the instance role
//! (Secrets Manager or SSM; never written into the template), writes each container's env file
//! (mode 0600), starts the containers with their restart policy, and installs files and cron
//! jobs. Values known only at deploy time (a database endpoint, the region) cannot be text in the
//! template, so [`segments`] returns the script as text interleaved with those values, and each
//! backend joins them in its own syntax (`Fn::Join`, HCL `join`).
//!
//! The same template renders an AMI bake in two forms: [`bake_script`], the setup alone (run by
//! Packer over SSH), and [`builder_script`], the user data of the SDK engine's builder instance,
//! which ends by tagging its own instance [`BAKE_STATUS_TAG`] = [`BAKE_DONE`] (or
//! [`BAKE_FAILED`] from an exit trap) through IMDSv2 and its instance role: the engine polls
//! that tag, so the builder needs no inbound access at all.

use std::fmt::Write as _;

use iac_core::Stack;
use iac_core::app::{Container, HostConfig, NetworkMode};
use iac_core::value::{SecretEncoding, SecretRef, SecretSource, Value};
use serde::Serialize;

use crate::error::RenderError;

/// The boot script template, compiled into the binary.
const TEMPLATE: &str = include_str!("../templates/userdata.sh.tera");

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
    env_file: String,
    env_lines: Vec<String>,
    run: String,
}

#[derive(Serialize)]
struct FileCtx {
    path: String,
    mode: String,
    content: String,
    delimiter: String,
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

fn container_ctx(c: &Container, slots: &mut Slots) -> ContainerCtx {
    let env_file = format!("{ENV_DIR}/{}.env", c.name);
    let env_lines =
        c.env.iter().map(|e| format!("{}{}", shell_quote(&format!("{}=", e.name)), slots.word(&e.value))).collect();
    let mut args: Vec<String> = vec!["docker".into(), "run".into(), "--detach".into()];
    args.push(format!("--name={}", c.name));
    args.push(format!("--restart={}", c.restart.as_docker()));
    args.push(format!("--env-file={env_file}"));
    match c.network {
        NetworkMode::Host => args.push("--network=host".into()),
        NetworkMode::Bridge => args.extend(c.ports.iter().map(|p| format!("--publish={}:{}", p.host, p.container))),
    }
    for m in &c.mounts {
        let ro = if m.read_only { ":ro" } else { "" };
        args.push(format!("--volume={}:{}{ro}", m.source, m.target));
    }
    if let Some(h) = &c.health {
        args.push(format!("--health-cmd={}", health_shell_command(&h.command)));
        args.push(format!("--health-interval={}s", h.interval_seconds));
        args.push(format!("--health-timeout={}s", h.timeout_seconds));
        args.push(format!("--health-retries={}", h.retries));
        args.push(format!("--health-start-period={}s", h.start_period_seconds));
    }
    args.push("--log-driver=journald".into());
    let mut last = vec![shell_quote(&c.image.to_string())];
    last.extend(c.command.iter().map(|a| shell_quote(a)));
    let mut lines: Vec<String> = args[2..].iter().map(|a| shell_quote(a)).collect();
    lines.push(last.join(" "));
    let run = format!("docker run {}", lines.join(" \\\n  "));
    ContainerCtx { name: c.name.clone(), image: shell_quote(&c.image.to_string()), env_file, env_lines, run }
}

/// Docker's `--health-cmd` takes a shell command; the model keeps the compose/ECS form
/// (`["CMD-SHELL", "cmd"]` or `["CMD", "prog", "arg"...]`).
fn health_shell_command(command: &[String]) -> String {
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

/// Renders `host`'s boot script as text and deploy-time values.
pub fn segments(stack: &Stack, host: &HostConfig) -> Result<Vec<Segment>, RenderError> {
    render(stack, host, Mode::Boot)
}

/// What the template renders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Boot-time user data of an instance.
    Boot,
    /// The bake setup alone (Packer runs it).
    Bake,
    /// The bake setup as a builder instance's user data, signalling through its own tags.
    Builder,
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

fn text_only(stack: &Stack, bake: &iac_core::app::Bake, mode: Mode) -> Result<String, RenderError> {
    let mut out = String::new();
    for seg in render(stack, &bake.host, mode)? {
        match seg {
            Segment::Text(t) => out.push_str(&t),
            Segment::Value(v) => unreachable!("bake mode renders no deploy-time value, found {v:?}"),
        }
    }
    Ok(out)
}

/// A script that re-runs `host`'s containers with the images `host` names (a rollout's in-place
/// update of a host, sent through SSM Run Command): every image is pulled first, then each
/// container is replaced with the same flags as at boot. The env files written at boot are kept
/// (they hold secrets read through the instance role; a changed environment needs a new host).
pub fn update_script(host: &HostConfig) -> String {
    let mut slots = Slots { values: Vec::new(), secrets: Vec::new() };
    let containers: Vec<ContainerCtx> = host.containers.iter().map(|c| container_ctx(c, &mut slots)).collect();
    let mut out = format!(
        "#!/bin/bash\n# Update of {}: its containers on new images, generated by iac-rs.\nset -euo pipefail\n",
        host.name
    );
    for c in &containers {
        let _ = writeln!(out, "docker pull {}", c.image);
    }
    for c in &containers {
        let _ = writeln!(out, "# container {}", c.name);
        let _ = writeln!(
            out,
            "test -f {} || {{ echo \"iac: {} is missing; the host was not set up by its user data\" >&2; exit 1; }}",
            c.env_file, c.env_file
        );
        let _ = writeln!(out, "docker rm --force {} >/dev/null 2>&1 || true", c.name);
        let _ = writeln!(out, "{}", c.run);
    }
    out
}

fn render(stack: &Stack, host: &HostConfig, mode: Mode) -> Result<Vec<Segment>, RenderError> {
    let bake = mode != Mode::Boot;
    let mut slots = Slots { values: Vec::new(), secrets: Vec::new() };
    let containers: Vec<ContainerCtx> = host.containers.iter().map(|c| container_ctx(c, &mut slots)).collect();
    let secrets_list = if bake { Vec::new() } else { slots.secrets.clone() };
    let secrets: Vec<SecretCtx> = secrets_list.iter().enumerate().map(|(i, s)| secret_ctx(i, s, &mut slots)).collect();
    let region = if bake { String::new() } else { slots.slot(&Value::Pseudo(iac_core::value::Pseudo::Region)) };
    let files: Vec<FileCtx> = host
        .files
        .iter()
        .map(|f| FileCtx {
            path: shell_quote(&f.path),
            mode: format!("{:04o}", f.mode),
            delimiter: heredoc_delimiter(&f.content),
            content: f.content.trim_end_matches('\n').to_owned(),
        })
        .collect();
    let cron: Vec<CronCtx> = host
        .cron
        .iter()
        .map(|j| CronCtx { name: j.name.clone(), line: format!("{} {} {}", j.schedule, j.user, j.command) })
        .collect();

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
    ctx.insert("packages", &host.packages.iter().map(|p| shell_quote(p)).collect::<Vec<_>>().join(" "));
    ctx.insert("docker", &(host.docker || !host.containers.is_empty()));
    ctx.insert("needs_secrets", &!secrets.is_empty());
    ctx.insert("region", &region);
    ctx.insert("env_dir", ENV_DIR);
    ctx.insert("secrets", &secrets);
    ctx.insert("containers", &containers);
    ctx.insert("files", &files);
    ctx.insert("cron", &cron);
    let text = tera::Tera::one_off(TEMPLATE, &ctx, false).map_err(|source| RenderError::Template {
        stack: stack.name().to_owned(),
        host: host.name.clone(),
        template: "userdata.sh.tera".into(),
        source,
    })?;
    Ok(split(&text, &slots.values))
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
    let mut out = String::new();
    for seg in segments(stack, host)? {
        match seg {
            Segment::Text(t) => out.push_str(&t),
            Segment::Value(v) => {
                let _ = write!(out, "{}", placeholder(&v));
            }
        }
    }
    Ok(out)
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
    use super::*;
    use iac_core::app::Container;

    #[test]
    fn update_script_pulls_then_replaces_each_container() {
        let host = HostConfig {
            name: "daemons".into(),
            packages: Vec::new(),
            docker: true,
            files: Vec::new(),
            containers: vec![
                Container::new("recalc", "example/app:2.0.0").with_command(["python3", "recalc.py"]),
                Container::new("notify", "example/app:2.0.0"),
            ],
            cron: Vec::new(),
        };
        let script = update_script(&host);
        let pulls = script.matches("docker pull example/app:2.0.0").count();
        assert_eq!(pulls, 2, "{script}");
        let first_rm = script.find("docker rm --force recalc").expect("recalc replaced");
        assert!(script.rfind("docker pull").unwrap() < first_rm, "every pull comes before the first stop:\n{script}");
        assert!(script.contains("--env-file=/etc/iac/recalc.env"), "{script}");
        assert!(script.contains("example/app:2.0.0 python3 recalc.py"), "{script}");
        assert!(script.contains("docker rm --force notify"), "{script}");
    }
}
