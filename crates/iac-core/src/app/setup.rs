//! The declarative parts of a host's setup beyond packages, files and containers: swap, a
//! firewall, kernel settings, systemd units and timers, supervisor programs and nginx sites.
//!
//! Each is plain data; `iac-render` writes them as cloud-init `write_files` entries and the few
//! commands that activate them, and `crate::validate` checks them ([`setup_problems`]).

use serde::Serialize;

use super::Container;
use crate::diag::Code;
use crate::value::Refs;

/// A swap file, created by cloud-init (`swap:`), with the kernel's swap tuning.
#[derive(Debug, Clone, Serialize, Refs)]
pub struct Swap {
    /// Absolute path of the file, e.g. `/swapfile`.
    pub path: String,
    /// Size in MiB.
    pub size_mib: u32,
    /// `vm.swappiness` (0-100; lower keeps more in memory).
    pub swappiness: Option<u32>,
    /// `vm.vfs_cache_pressure` (below 100 keeps inode and dentry caches longer).
    pub vfs_cache_pressure: Option<u32>,
}

impl Swap {
    /// A swap file of `size_mib` at `/swapfile` without tuning.
    pub fn file(size_mib: u32) -> Self {
        Self { path: "/swapfile".into(), size_mib, swappiness: None, vfs_cache_pressure: None }
    }
}

/// Protocol of a host firewall rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Refs)]
pub enum FirewallProtocol {
    /// TCP.
    Tcp,
    /// UDP.
    Udp,
}

impl FirewallProtocol {
    /// Lowercase name (`tcp`, `udp`), as ufw, nftables and cloud firewalls spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            FirewallProtocol::Tcp => "tcp",
            FirewallProtocol::Udp => "udp",
        }
    }
}

/// One port admitted by the host firewall.
#[derive(Debug, Clone, Serialize, Refs)]
pub struct FirewallRule {
    /// The port.
    pub port: u16,
    /// The protocol.
    pub protocol: FirewallProtocol,
    /// Source ranges (IPv4 or IPv6 CIDR). Empty means anywhere, like `0.0.0.0/0` and `::/0`.
    pub sources: Vec<String>,
    /// Why it is open.
    pub comment: String,
}

impl FirewallRule {
    /// TCP `port` from `sources` (empty: anywhere).
    pub fn tcp<I: IntoIterator<Item = S>, S: Into<String>>(port: u16, sources: I, comment: impl Into<String>) -> Self {
        Self {
            port,
            protocol: FirewallProtocol::Tcp,
            sources: sources.into_iter().map(Into::into).collect(),
            comment: comment.into(),
        }
    }

    /// True when the rule admits every address (no sources, or a `/0` range).
    pub fn is_world(&self) -> bool {
        self.sources.is_empty() || self.sources.iter().any(|s| s == "0.0.0.0/0" || s == "::/0")
    }
}

/// The host firewall: incoming traffic is denied except by the rules, outgoing is allowed.
/// Rendered as `ufw` commands (the guide's tool, present on Ubuntu images).
#[derive(Debug, Clone, Serialize, Default, Refs)]
pub struct Firewall {
    /// Admitted ports.
    pub rules: Vec<FirewallRule>,
}

/// systemd's `Type=` of a service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Refs)]
pub enum ServiceType {
    /// The process started is the service.
    Simple,
    /// Like `Simple`, but started only once the binary ran.
    Exec,
    /// Runs to completion (setup steps, jobs).
    Oneshot,
    /// The process forks and the parent exits.
    Forking,
}

impl ServiceType {
    /// systemd's spelling.
    pub fn as_systemd(self) -> &'static str {
        match self {
            ServiceType::Simple => "simple",
            ServiceType::Exec => "exec",
            ServiceType::Oneshot => "oneshot",
            ServiceType::Forking => "forking",
        }
    }
}

/// systemd's `Restart=`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Refs)]
pub enum UnitRestart {
    /// Never.
    No,
    /// When the process fails.
    OnFailure,
    /// Whenever it exits.
    Always,
}

impl UnitRestart {
    /// systemd's spelling.
    pub fn as_systemd(self) -> &'static str {
        match self {
            UnitRestart::No => "no",
            UnitRestart::OnFailure => "on-failure",
            UnitRestart::Always => "always",
        }
    }
}

/// A systemd service unit, written to `/etc/systemd/system/<name>`, enabled when it has
/// `wanted_by` targets and started at first boot.
///
/// A unit either runs commands (`exec_*`, each an argv whose first word is an absolute path,
/// optionally prefixed with systemd's `-` to ignore a failure) or a [`Container`]: then the
/// renderer writes `docker run` from the same definition that ECS, compose and Kubernetes use.
#[derive(Debug, Clone, Serialize, Refs)]
pub struct SystemdUnit {
    /// File name, e.g. `viewbovis.service`.
    pub name: String,
    /// `Description=`.
    pub description: String,
    /// `After=`.
    pub after: Vec<String>,
    /// `Before=`.
    pub before: Vec<String>,
    /// `Wants=`.
    pub wants: Vec<String>,
    /// `Requires=`.
    pub requires: Vec<String>,
    /// `Type=`.
    pub service_type: ServiceType,
    /// `ExecStartPre=` lines.
    pub exec_start_pre: Vec<Vec<String>>,
    /// `ExecStart=` lines (several only for oneshot units).
    pub exec_start: Vec<Vec<String>>,
    /// `ExecStop=` lines.
    pub exec_stop: Vec<Vec<String>>,
    /// `RemainAfterExit=yes`: a oneshot unit stays active, so its `ExecStop=` runs at shutdown.
    pub remain_after_exit: bool,
    /// `User=` (root when absent).
    pub user: Option<String>,
    /// `WorkingDirectory=`.
    pub working_directory: Option<String>,
    /// `Restart=`.
    pub restart: UnitRestart,
    /// `TimeoutStopSec=`.
    pub timeout_stop_seconds: Option<u32>,
    /// `WantedBy=` targets (empty: not enabled, e.g. a unit only a timer starts).
    pub wanted_by: Vec<String>,
    /// Run this container instead of `exec_*` (which must then be empty).
    pub container: Option<Container>,
    /// `ExecStart=` runs holding this lock, shared by every host of the stack and environment (an
    /// SSM parameter): one host at a time runs it (a schema migration).
    pub lock: Option<String>,
}

impl SystemdUnit {
    /// A simple service without commands yet, wanted by `multi-user.target`.
    pub fn new(name: impl Into<String>, description: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            description: description.into(),
            after: Vec::new(),
            before: Vec::new(),
            wants: Vec::new(),
            requires: Vec::new(),
            service_type: ServiceType::Simple,
            exec_start_pre: Vec::new(),
            exec_start: Vec::new(),
            exec_stop: Vec::new(),
            remain_after_exit: false,
            user: None,
            working_directory: None,
            restart: UnitRestart::No,
            timeout_stop_seconds: None,
            wanted_by: vec!["multi-user.target".into()],
            container: None,
            lock: None,
        }
    }

    /// A service running `container` in the foreground (`docker run --rm`), after Docker, restarted
    /// by systemd according to the container's restart policy. Named `<container>.service`. A
    /// container that is never restarted ([`super::Restart::No`]) is a one-off: a oneshot unit that
    /// stays active once it has succeeded, so that units ordered after it start only then.
    pub fn container(container: Container, description: impl Into<String>) -> Self {
        let restart = match container.restart {
            super::Restart::No => UnitRestart::No,
            super::Restart::OnFailure => UnitRestart::OnFailure,
            super::Restart::Always | super::Restart::UnlessStopped => UnitRestart::Always,
        };
        let mut unit = Self::new(format!("{}.service", container.name), description);
        unit.after = vec!["docker.service".into(), "network-online.target".into()];
        unit.requires = vec!["docker.service".into()];
        unit.wants = vec!["network-online.target".into()];
        unit.restart = restart;
        if container.restart == super::Restart::No {
            unit.service_type = ServiceType::Oneshot;
            unit.remain_after_exit = true;
        }
        unit.timeout_stop_seconds = Some(30);
        unit.container = Some(container);
        unit
    }

    /// Adds an `ExecStart=` line.
    #[must_use]
    pub fn exec<I: IntoIterator<Item = S>, S: Into<String>>(mut self, argv: I) -> Self {
        self.exec_start.push(argv.into_iter().map(Into::into).collect());
        self
    }

    /// Adds an `ExecStop=` line.
    #[must_use]
    pub fn exec_stop<I: IntoIterator<Item = S>, S: Into<String>>(mut self, argv: I) -> Self {
        self.exec_stop.push(argv.into_iter().map(Into::into).collect());
        self
    }

    /// Sets the type.
    #[must_use]
    pub fn of_type(mut self, service_type: ServiceType) -> Self {
        self.service_type = service_type;
        self
    }

    /// Orders the unit after (and makes it want) `unit`.
    #[must_use]
    pub fn after_unit(mut self, unit: impl Into<String>, want: bool) -> Self {
        let unit = unit.into();
        if want {
            self.wants.push(unit.clone());
        }
        self.after.push(unit);
        self
    }
}

/// A systemd timer, written to `/etc/systemd/system/<name>` and enabled.
#[derive(Debug, Clone, Serialize, Refs)]
pub struct SystemdTimer {
    /// File name, e.g. `report.timer`.
    pub name: String,
    /// `Description=`.
    pub description: String,
    /// `OnCalendar=` expressions, e.g. `*-*-* 22:00:00 Europe/London` or `daily`.
    pub on_calendar: Vec<String>,
    /// The service it starts (default: the timer's name with `.service`).
    pub unit: Option<String>,
    /// `Persistent=true`: a run missed while the host was off happens at the next boot.
    pub persistent: bool,
}

/// Where a supervisor program's output goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Refs)]
pub enum ProgramLog {
    /// `/var/log/supervisor/<name>.log` (stderr joined to stdout), rotated by supervisor.
    File,
    /// The system log (`stdout_syslog`, supervisor 4.2 and later).
    Syslog,
}

/// A program run and restarted by supervisord (`/etc/supervisor/conf.d/<name>.conf`).
#[derive(Debug, Clone, Serialize, Refs)]
pub struct SupervisorProgram {
    /// `[program:<name>]`.
    pub name: String,
    /// The command (argv; the first word an absolute path). It must stay in the foreground.
    pub command: Vec<String>,
    /// User it runs as (root when absent).
    pub user: Option<String>,
    /// Working directory.
    pub directory: Option<String>,
    /// Restart when it exits.
    pub autorestart: bool,
    /// Lower starts first (supervisor's default is 999).
    pub priority: Option<u32>,
    /// Seconds to wait after the stop signal before SIGKILL.
    pub stop_wait_seconds: Option<u32>,
    /// Output.
    pub log: ProgramLog,
    /// The distribution's own unit for the same daemon (e.g. `redis-server.service`, or a pattern
    /// such as `php*-fpm.service`), disabled and stopped so that two managers never run it twice
    /// (the guide's `update-rc.d -f ... remove`).
    pub replaces_unit: Option<String>,
}

impl SupervisorProgram {
    /// A program restarted when it exits, logging to a file.
    pub fn new<I: IntoIterator<Item = S>, S: Into<String>>(name: impl Into<String>, command: I) -> Self {
        Self {
            name: name.into(),
            command: command.into_iter().map(Into::into).collect(),
            user: None,
            directory: None,
            autorestart: true,
            priority: None,
            stop_wait_seconds: None,
            log: ProgramLog::File,
            replaces_unit: None,
        }
    }
}

/// What a location of an nginx site does.
#[derive(Debug, Clone, Serialize, Refs)]
pub enum LocationAction {
    /// `proxy_pass http://127.0.0.1:<port>` with the usual forwarded headers.
    Proxy {
        /// The local port.
        port: u16,
    },
    /// PHP through php-fpm on a unix socket (`fastcgi_pass unix:<socket>`).
    PhpFpm {
        /// The socket, e.g. `/run/php/php8.3-fpm.sock`.
        socket: String,
    },
    /// nginx's `stub_status` (for collectd), admitted only from `allow`.
    StubStatus {
        /// Addresses admitted, e.g. `127.0.0.1`.
        allow: Vec<String>,
    },
    /// `try_files` over the site's root.
    TryFiles(Vec<String>),
}

/// One `location` block.
#[derive(Debug, Clone, Serialize, Refs)]
pub struct NginxLocation {
    /// The match, e.g. `/`, `= /nginx_status` or `~ \.php$`.
    pub path: String,
    /// What it does.
    pub action: LocationAction,
}

/// An nginx server block, written to `/etc/nginx/sites-enabled/<name>.conf`; the distribution's
/// `default` site is removed.
#[derive(Debug, Clone, Serialize, Refs)]
pub struct NginxSite {
    /// File name stem, e.g. `viewbovis`.
    pub name: String,
    /// `server_name`s (empty: only as the default server).
    pub server_names: Vec<String>,
    /// The port.
    pub listen: u16,
    /// `default_server` on that port.
    pub default_server: bool,
    /// Document root.
    pub root: Option<String>,
    /// `index` files.
    pub index: Vec<String>,
    /// Locations in order.
    pub locations: Vec<NginxLocation>,
}

impl NginxSite {
    /// A site on port 80 for `server_name` that proxies everything to `127.0.0.1:port`.
    pub fn proxy(name: impl Into<String>, server_name: impl Into<String>, port: u16) -> Self {
        Self {
            name: name.into(),
            server_names: vec![server_name.into()],
            listen: 80,
            default_server: false,
            root: None,
            index: Vec::new(),
            locations: vec![NginxLocation { path: "/".into(), action: LocationAction::Proxy { port } }],
        }
    }
}

/// Why an `OnCalendar=` expression is not valid, if it is not. Covers systemd's shorthands
/// (`daily`, `hourly`...) and the `[weekdays] [date] time [timezone]` form with `*`, lists,
/// ranges and repetitions; the oracle tests compare it with `systemd-analyze calendar`.
pub fn on_calendar_problem(expr: &str) -> Option<String> {
    const SHORTHANDS: [&str; 10] =
        ["minutely", "hourly", "daily", "monthly", "weekly", "yearly", "annually", "quarterly", "semiannually", "*"];
    let words: Vec<&str> = expr.split_whitespace().collect();
    if words.is_empty() {
        return Some("the expression is empty".into());
    }
    if words.len() == 1 && SHORTHANDS.contains(&words[0]) {
        return None;
    }
    let mut rest: &[&str] = &words;
    if let Some(first) = rest.first()
        && first.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && !first.contains('/')
    {
        if !first.split(',').all(|part| part.split("..").all(is_weekday)) {
            return Some(format!("`{first}` is not a list of weekdays (Mon..Sun)"));
        }
        rest = &rest[1..];
    }
    let mut time = None;
    let mut i = 0;
    while i < rest.len() {
        let w = rest[i];
        if w.contains(':') && time.is_none() {
            time = Some(w);
        } else if w.contains('-') && time.is_none() && i == 0 {
            if let Some(p) = date_problem(w) {
                return Some(p);
            }
        } else if time.is_some() && i == rest.len() - 1 && is_timezone(w) {
            // a timezone such as `UTC` or `Europe/London`
        } else {
            return Some(format!("unexpected `{w}`"));
        }
        i += 1;
    }
    let Some(time) = time else { return Some("no time of day (HH:MM or HH:MM:SS)".into()) };
    let fields: Vec<&str> = time.split(':').collect();
    if !(2..=3).contains(&fields.len()) {
        return Some(format!("`{time}` is not HH:MM or HH:MM:SS"));
    }
    let limits = [23, 59, 59];
    for (field, max) in fields.iter().zip(limits) {
        if !component_ok(field, max) {
            return Some(format!("`{field}` in `{time}` is not a number from 0 to {max}, `*`, a list or a range"));
        }
    }
    None
}

fn is_weekday(s: &str) -> bool {
    let days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
    let long = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];
    let l = s.to_ascii_lowercase();
    days.contains(&l.as_str()) || long.contains(&l.as_str())
}

fn is_timezone(s: &str) -> bool {
    s == "UTC" || (s.contains('/') && s.chars().all(|c| c.is_ascii_alphanumeric() || "/_+-".contains(c)))
}

fn date_problem(date: &str) -> Option<String> {
    let parts: Vec<&str> = date.split('-').collect();
    let limits: &[u32] = match parts.len() {
        2 => &[12, 31],
        3 => &[9999, 12, 31],
        _ => return Some(format!("`{date}` is not a date (YYYY-MM-DD, with `*` for any)")),
    };
    for (p, max) in parts.iter().zip(limits) {
        if !component_ok(p, *max) {
            return Some(format!("`{p}` in `{date}` is not valid"));
        }
    }
    None
}

/// `*`, a number up to `max`, `a,b`, `a..b` or `x/step`.
fn component_ok(s: &str, max: u32) -> bool {
    let number =
        |n: &str| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()) && n.parse::<u32>().is_ok_and(|v| v <= max);
    s.split(',').all(|item| {
        let (base, step) = match item.split_once('/') {
            Some((b, st)) => (b, Some(st)),
            None => (item, None),
        };
        let base_ok = base == "*" || number(base) || base.split_once("..").is_some_and(|(a, b)| number(a) && number(b));
        base_ok && step.is_none_or(|st| !st.is_empty() && st.chars().all(|c| c.is_ascii_digit()) && st != "0")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn on_calendar_expressions() {
        for ok in [
            "daily",
            "hourly",
            "*-*-* 22:00:00",
            "*-*-* 22:00:00 Europe/London",
            "Mon..Fri 08:00",
            "Sat,Sun 10:30",
            "*-*-01 00:00:00",
            "2026-12-24 18:00 UTC",
            "*:0/15",
            "*-*-* *:00:00",
        ] {
            assert_eq!(on_calendar_problem(ok), None, "{ok}");
        }
        for bad in ["", "22:61", "every day", "Funday 10:00", "*-*-* 25:00", "*-13-01 00:00", "10:00 nowhere"] {
            assert!(on_calendar_problem(bad).is_some(), "{bad} should be refused");
        }
    }

    #[test]
    fn container_unit_follows_the_restart_policy() {
        let c = Container::new("app", "example/app:1.0");
        let u = SystemdUnit::container(c, "the app");
        assert_eq!(u.name, "app.service");
        assert_eq!(u.restart, UnitRestart::Always);
        assert!(u.requires.contains(&"docker.service".to_owned()));
        assert!(u.exec_start.is_empty() && u.container.is_some());
    }

    #[test]
    fn world_rules() {
        assert!(FirewallRule::tcp(80, Vec::<String>::new(), "web").is_world());
        assert!(FirewallRule::tcp(80, ["::/0"], "web").is_world());
        assert!(!FirewallRule::tcp(8086, ["10.0.0.0/8"], "admin").is_world());
    }
}

/// One problem of a host's setup, its property relative to the resource (e.g.
/// `UserData.Units[0].ExecStart[0]`); `crate::validate` adds the stack and resource.
#[derive(Debug, Clone)]
pub struct SetupProblem {
    /// The check that found it (its severity is the code's).
    pub code: Code,
    /// The property.
    pub property: String,
    /// What is wrong.
    pub message: String,
    /// What to do.
    pub hint: String,
}

struct Problems(Vec<SetupProblem>);

impl Problems {
    fn report(&mut self, code: Code, property: String, message: impl Into<String>, hint: impl Into<String>) {
        self.0.push(SetupProblem { code, property, message: message.into(), hint: hint.into() });
    }

    fn absolute(&mut self, property: String, path: &str, what: &str) {
        if !path.starts_with('/') || path.contains("..") || path.contains(['\n', '\r', '\0']) {
            self.report(
                Code::RelativeSetupPath,
                property,
                format!("{what} `{path}` is not an absolute path"),
                "write it from the root, e.g. `/etc/app/app.conf`",
            );
        }
    }

    fn command(&mut self, property: String, argv: &[String]) {
        let Some(first) = argv.first() else {
            self.report(Code::InvalidCommand, property, "an empty command", "give the program and its arguments");
            return;
        };
        let program = first.trim_start_matches(['-', '@', ':', '+', '!']);
        if !program.starts_with('/') {
            self.report(
                Code::InvalidCommand,
                property.clone(),
                format!("`{program}` is not an absolute path"),
                "write the program's absolute path, e.g. `/usr/bin/docker`, so it does not depend on PATH",
            );
        }
        if argv.iter().any(|a| a.contains(['\n', '\r'])) {
            self.report(
                Code::InvalidCommand,
                property,
                "an argument contains a line break",
                "pass one line per argument",
            );
        }
    }

    fn duplicates<'a>(&mut self, property: &str, names: impl Iterator<Item = &'a str>, what: &str) {
        let mut seen = std::collections::BTreeSet::new();
        for (i, n) in names.enumerate() {
            if !seen.insert(n) {
                self.report(
                    Code::DuplicateSetupName,
                    format!("{property}[{i}]"),
                    format!("{what} `{n}` is defined twice"),
                    "give each its own name",
                );
            }
        }
    }
}

/// Secrets recognised by their value ([`crate::diag::Code::LiteralSecretValue`]) anywhere the
/// host writes text: the containers' environment and commands, files, cron jobs, units and
/// supervisor programs.
fn literal_secrets(host: &super::HostConfig, p: &mut Problems) {
    use super::secrets::{literal_secret, literal_secret_in};
    let hint = "read it from a SecretRef (Secrets Manager or SSM SecureString); in a URL, join the password in \
                as one (Value::join, or a database handle's url())";
    let mut noted = std::collections::BTreeSet::new();
    for c in host.all_containers() {
        if let Some(why) = c.unverified_image.as_ref().filter(|_| noted.insert(c.image.to_string())) {
            p.report(
                Code::UncheckedImageTag,
                format!("UserData.Containers.{}.Image", c.name),
                format!("image `{}` is not checked against its upstream: {why}", c.image),
                "check the tag where the image is published, then remove the note from the config",
            );
        }
    }
    let mut report = |property: String, why: Option<String>| {
        if let Some(why) = why {
            p.report(Code::LiteralSecretValue, property, format!("{why}; it would be written into every output"), hint);
        }
    };
    for c in host.all_containers() {
        for e in &c.env {
            report(format!("UserData.Containers.{}.Env.{}", c.name, e.name), literal_secret(&e.value));
        }
        for a in &c.command {
            report(format!("UserData.Containers.{}.Command", c.name), literal_secret_in(a));
        }
    }
    for (i, f) in host.files.iter().enumerate() {
        report(format!("UserData.Files[{i}].Content"), literal_secret_in(&f.content));
    }
    for (i, j) in host.cron.iter().enumerate() {
        report(format!("UserData.Cron[{i}].Command"), literal_secret_in(&j.command));
    }
    for (i, u) in host.units.iter().enumerate() {
        for argv in u.exec_start_pre.iter().chain(&u.exec_start).chain(&u.exec_stop) {
            report(format!("UserData.Units[{i}].Exec"), literal_secret_in(&argv.join(" ")));
        }
    }
    for (i, prog) in host.supervisor.iter().enumerate() {
        report(format!("UserData.Supervisor[{i}].Command"), literal_secret_in(&prog.command.join(" ")));
    }
}

fn unit_name_ok(name: &str, suffix: &str) -> bool {
    name.strip_suffix(suffix)
        .is_some_and(|stem| !stem.is_empty() && stem.chars().all(|c| c.is_ascii_alphanumeric() || ":_.-@".contains(c)))
}

fn simple_name_ok(name: &str) -> bool {
    !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || "_-".contains(c))
}

/// Every problem of `host`'s declarative setup (swap, firewall, sysctl, units, timers,
/// supervisor programs, nginx sites) and of the containers its units run.
#[allow(clippy::too_many_lines)] // one block per feature
pub fn setup_problems(host: &super::HostConfig) -> Vec<SetupProblem> {
    let mut p = Problems(Vec::new());
    literal_secrets(host, &mut p);
    for (i, f) in host.files.iter().enumerate() {
        p.absolute(format!("UserData.Files[{i}].Path"), &f.path, "file path");
    }
    p.duplicates("UserData.Files", host.files.iter().map(|f| f.path.as_str()), "file");
    if let Some(swap) = &host.swap {
        p.absolute("UserData.Swap.Path".into(), &swap.path, "swap file");
        if swap.size_mib == 0 {
            p.report(
                Code::SwapSize,
                "UserData.Swap.Size".into(),
                "a swap file of 0 MiB",
                "give a size, e.g. 4096 (4 GiB)",
            );
        }
        if swap.swappiness.is_some_and(|v| v > 100) {
            p.report(
                Code::Swappiness,
                "UserData.Swap.Swappiness".into(),
                "vm.swappiness above 100",
                "use 0-100 (the guide uses 10)",
            );
        }
    }
    if let Some(fw) = &host.firewall {
        for (i, rule) in fw.rules.iter().enumerate() {
            let prop = format!("UserData.Firewall.Rules[{i}]");
            if rule.port == 0 {
                p.report(Code::PortZero, prop.clone(), "port 0", "give the port to admit");
            }
            for s in &rule.sources {
                if let Some(problem) = crate::net::cidr_problem(s) {
                    p.report(
                        Code::InvalidCidr,
                        format!("{prop}.Sources"),
                        problem,
                        "write an IPv4 or IPv6 CIDR, e.g. 203.0.113.0/24",
                    );
                }
            }
            if rule.is_world() {
                match rule.port {
                    80 | 443 => {}
                    22 => p.report(
                        Code::WorldOpenSsh,
                        prop,
                        "SSH is open to the whole internet",
                        "admit an admin range or a VPN instead, or use a provider console / SSM",
                    ),
                    port => p.report(
                        Code::WorldOpenHostPort,
                        prop,
                        format!("port {port} is open to the whole internet"),
                        "only 22, 80 and 443 may admit everyone; give the admin range in `sources`",
                    ),
                }
            }
        }
    }
    for (key, value) in host.kernel_settings() {
        let key_ok = !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || "._-/".contains(c));
        if !key_ok || value.trim().is_empty() || value.contains(['\n', '\r']) {
            p.report(
                Code::InvalidSysctl,
                format!("UserData.Sysctl.{key}"),
                format!("`{key} = {value}` is not a kernel setting"),
                "write a dotted key such as `vm.swappiness` and a one-line value",
            );
        }
    }
    // The containers run as units too: their names count (a timer may start one).
    let all_units = host.all_units();
    let unit_names: Vec<&str> = all_units.iter().map(|u| u.name.as_str()).collect();
    p.duplicates("UserData.Units", unit_names.iter().copied(), "unit");
    for (i, u) in host.units.iter().enumerate() {
        let prop = format!("UserData.Units[{i}]");
        if !unit_name_ok(&u.name, ".service") {
            p.report(
                Code::InvalidUnitName,
                format!("{prop}.Name"),
                format!("`{}` is not a service unit name", u.name),
                "use letters, digits and `:_.-@`, ending in `.service`, e.g. `viewbovis.service`",
            );
        }
        if u.description.trim().is_empty() || u.description.contains('\n') {
            p.report(
                Code::UnitWithoutDescription,
                format!("{prop}.Description"),
                "no one-line description",
                "say what the unit is for",
            );
        }
        if let Some(c) = &u.container {
            if !(u.exec_start.is_empty() && u.exec_stop.is_empty()) {
                p.report(
                    Code::UnitContainerOrCommands,
                    format!("{prop}.ExecStart"),
                    "a container unit with its own commands",
                    "leave exec_start and exec_stop empty: the container's docker run is the command",
                );
            }
            if let Some(problem) = c.image.pin_problem() {
                p.report(
                    Code::UnpinnedHostImage,
                    format!("{prop}.Container.Image"),
                    problem,
                    "pin the image to a version tag or a digest",
                );
            }
        } else if u.exec_start.is_empty() {
            p.report(
                Code::UnitContainerOrCommands,
                format!("{prop}.ExecStart"),
                "a unit with nothing to run",
                "add an exec_start command or a container",
            );
        }
        if u.exec_start.len() > 1 && u.service_type != ServiceType::Oneshot {
            p.report(
                Code::SeveralExecStart,
                format!("{prop}.ExecStart"),
                "several ExecStart= lines in a unit that is not oneshot",
                "make it ServiceType::Oneshot or use one command",
            );
        }
        if u.service_type == ServiceType::Oneshot && u.restart == UnitRestart::Always {
            p.report(
                Code::OneshotRestartAlways,
                format!("{prop}.Restart"),
                "Restart=always on a oneshot unit",
                "use UnitRestart::OnFailure or No",
            );
        }
        for (kind, lines) in
            [("ExecStartPre", &u.exec_start_pre), ("ExecStart", &u.exec_start), ("ExecStop", &u.exec_stop)]
        {
            for (j, argv) in lines.iter().enumerate() {
                p.command(format!("{prop}.{kind}[{j}]"), argv);
            }
        }
        if let Some(dir) = &u.working_directory {
            p.absolute(format!("{prop}.WorkingDirectory"), dir, "working directory");
        }
        for dep in u.after.iter().chain(&u.before).chain(&u.wants).chain(&u.requires).chain(&u.wanted_by) {
            let ok =
                [".service", ".target", ".timer", ".socket", ".mount", ".path"].iter().any(|s| unit_name_ok(dep, s));
            if !ok {
                p.report(
                    Code::InvalidUnitName,
                    format!("{prop}.Dependencies"),
                    format!("`{dep}` is not a unit name"),
                    "name a unit with its suffix, e.g. `network-online.target`",
                );
            }
        }
    }
    p.duplicates("UserData.Timers", host.timers.iter().map(|t| t.name.as_str()), "timer");
    for (i, t) in host.timers.iter().enumerate() {
        let prop = format!("UserData.Timers[{i}]");
        if !unit_name_ok(&t.name, ".timer") {
            p.report(
                Code::InvalidUnitName,
                format!("{prop}.Name"),
                format!("`{}` is not a timer unit name", t.name),
                "end it in `.timer`, e.g. `report.timer`",
            );
        }
        if t.on_calendar.is_empty() {
            p.report(
                Code::TimerSchedule,
                format!("{prop}.OnCalendar"),
                "a timer with no OnCalendar=",
                "give a time, e.g. `*-*-* 22:00:00`",
            );
        }
        for expr in &t.on_calendar {
            if let Some(problem) = on_calendar_problem(expr) {
                p.report(
                    Code::TimerSchedule,
                    format!("{prop}.OnCalendar"),
                    format!("`{expr}`: {problem}"),
                    "write e.g. `daily`, `Mon..Fri 08:00` or `*-*-* 22:00:00 Europe/London` (see systemd.time(7))",
                );
            }
        }
        let target = t.unit.clone().unwrap_or_else(|| t.name.replace(".timer", ".service"));
        if !unit_names.contains(&target.as_str()) {
            p.report(
                Code::TimerUnknownUnit,
                format!("{prop}.Unit"),
                format!("the timer starts `{target}`, which the host does not define"),
                "add that unit to `units` (with empty wanted_by if only the timer starts it)",
            );
        }
    }
    p.duplicates("UserData.Supervisor", host.supervisor.iter().map(|s| s.name.as_str()), "supervisor program");
    for (i, prog) in host.supervisor.iter().enumerate() {
        let prop = format!("UserData.Supervisor[{i}]");
        if !simple_name_ok(&prog.name) {
            p.report(
                Code::InvalidProgramName,
                format!("{prop}.Name"),
                format!("`{}` is not a program name", prog.name),
                "use letters, digits, `-` and `_`",
            );
        }
        p.command(format!("{prop}.Command"), &prog.command);
        if prog.command.iter().any(|a| a.contains('%')) {
            p.report(
                Code::PercentInSupervisorCommand,
                format!("{prop}.Command"),
                "`%` in a supervisor command (it expands %(name)s)",
                "write %% for a literal percent sign",
            );
        }
        if let Some(dir) = &prog.directory {
            p.absolute(format!("{prop}.Directory"), dir, "directory");
        }
        // A pattern such as `php*-fpm.service` names the unit whatever its version.
        if let Some(unit) = &prog.replaces_unit
            && !unit_name_ok(&unit.replace('*', "x"), ".service")
        {
            p.report(
                Code::InvalidUnitName,
                format!("{prop}.ReplacesUnit"),
                format!("`{unit}` is not a service unit name"),
                "e.g. `redis-server.service`",
            );
        }
    }
    p.duplicates("UserData.NginxSites", host.nginx_sites.iter().map(|s| s.name.as_str()), "nginx site");
    let mut defaults = std::collections::BTreeSet::new();
    for (i, site) in host.nginx_sites.iter().enumerate() {
        let prop = format!("UserData.NginxSites[{i}]");
        if !simple_name_ok(&site.name) {
            p.report(
                Code::InvalidSiteName,
                format!("{prop}.Name"),
                format!("`{}` is not a site name", site.name),
                "use letters, digits, `-` and `_`",
            );
        }
        if site.listen == 0 {
            p.report(Code::PortZero, format!("{prop}.Listen"), "port 0", "listen on a port, e.g. 80");
        }
        if site.server_names.is_empty() && !site.default_server {
            p.report(
                Code::SiteServerNames,
                format!("{prop}.ServerNames"),
                "a site with no server name that is not the default server",
                "give its host names or make it the default server",
            );
        }
        if site.default_server && !defaults.insert(site.listen) {
            p.report(
                Code::DuplicateDefaultServer,
                format!("{prop}.DefaultServer"),
                format!("two default servers on port {}", site.listen),
                "make only one site the default",
            );
        }
        for n in &site.server_names {
            if n.is_empty() || !n.chars().all(|c| c.is_ascii_alphanumeric() || ".-*_".contains(c)) {
                p.report(
                    Code::SiteServerNames,
                    format!("{prop}.ServerNames"),
                    format!("`{n}` is not a host name"),
                    "e.g. `viewbovis.example.org`",
                );
            }
        }
        if let Some(root) = &site.root {
            p.absolute(format!("{prop}.Root"), root, "document root");
        }
        if site.locations.is_empty() {
            p.report(
                Code::SiteWithoutLocation,
                format!("{prop}.Locations"),
                "a site with no location",
                "add at least `location /`",
            );
        }
        for (j, loc) in site.locations.iter().enumerate() {
            let lp = format!("{prop}.Locations[{j}]");
            if loc.path.trim().is_empty() || loc.path.contains(['{', '}', ';', '\n']) {
                p.report(
                    Code::InvalidLocationMatch,
                    lp.clone(),
                    format!("`{}` is not a location match", loc.path),
                    "e.g. `/`, `= /nginx_status` or `~ \\.php$`",
                );
            }
            match &loc.action {
                LocationAction::Proxy { port } if *port == 0 => {
                    p.report(Code::PortZero, lp, "proxy to port 0", "give the local port of the service");
                }
                LocationAction::PhpFpm { socket } => p.absolute(lp, socket, "php-fpm socket"),
                LocationAction::TryFiles(files) if files.is_empty() || site.root.is_none() => {
                    p.report(
                        Code::TryFilesWithoutRoot,
                        lp,
                        "try_files needs a root and at least one file",
                        "set the site's root and list the files, e.g. `$uri`, `/index.php?$query_string`",
                    );
                }
                _ => {}
            }
        }
    }
    p.0
}
