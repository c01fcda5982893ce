//! The boot test: every host of every stack and environment boots its rendered user data for
//! real (cloud-init, systemd, apt, nginx, supervisor, ufw inside a booted Debian root; see
//! `tests::boot`), twice, and some hosts again under faults of the outside world. It checks what
//! the host runs against the model it was rendered from: packages, every written file and its
//! mode, the units enabled, started and in their order, the containers with their env files,
//! nginx answering on its routes, supervisor's programs, the firewall, swap and kernel settings.
//! A host with a data volume gets one that cannot be mounted: the boot script reports it, leaves
//! `/etc/fstab` alone and does not start the units that keep their data on it.
//!
//! Needs root and the boot root of `scripts/install-tools.sh` (skipped without them, a failure
//! when `CI=true`). `IAC_BOOT_ONLY=aquamark/prod` (a prefix of `stack/env/host`) narrows it.

#![allow(clippy::print_stderr)] // progress and timings go to stderr on purpose

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use iac_core::app::{Container, HostConfig, LocationAction, ServiceType};
use iac_core::value::Value;
use tests::boot::{BootEnv, BootHost, Machine, Scenario, data_volumes, hosts};

/// What the fake AWS answers for a secret (see `tests/boot/fakes/aws`), raw and URL-encoded.
const FAKE_PASSWORD: &str = "p@ss w/rd:1+%";
const FAKE_PASSWORD_URL: &str = "p%40ss%20w%2Frd%3A1%2B%25";

/// Units that need a part of the outside world the test does not stand in for, so they fail in
/// the test by design: Postback's code checkout clones its pinned commit from GitHub.
const NEEDS_THE_INTERNET: [&str; 1] = ["postback-code.service"];
/// Supervisor programs that need such a unit's work (the Node worker runs the cloned code).
const NEEDS_THE_CODE: [&str; 1] = ["daemon"];

fn name_of(h: &BootHost) -> String {
    format!("{}-{}-{}", h.stack, h.env, h.id)
}

/// The state a reboot must not change: every file the user data wrote and every env file.
fn digest(m: &Machine, h: &BootHost) -> String {
    let mut paths: Vec<String> = written(h).into_iter().map(|(p, _, _)| p).collect();
    paths.extend(h.host.all_containers().filter(|c| !c.env.is_empty()).map(|c| format!("/etc/iac/{}.env", c.name)));
    m.text(&format!("sha256sum {} 2>&1", paths.join(" ")))
}

/// The `write_files` of the user data: path, permissions, content (None when base64).
fn written(h: &BootHost) -> Vec<(String, String, Option<String>)> {
    let doc: serde_yaml_ng::Value = serde_yaml_ng::from_str(&h.user_data).expect("user data parses");
    doc["write_files"]
        .as_sequence()
        .map(|files| {
            files
                .iter()
                .map(|f| {
                    (
                        f["path"].as_str().expect("path").to_owned(),
                        f["permissions"].as_str().expect("permissions").to_owned(),
                        f["encoding"].is_null().then(|| f["content"].as_str().unwrap_or_default().to_owned()),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn packages(h: &BootHost) -> Vec<String> {
    let doc: serde_yaml_ng::Value = serde_yaml_ng::from_str(&h.user_data).expect("user data parses");
    doc["packages"]
        .as_sequence()
        .map(|p| p.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
        .unwrap_or_default()
}

/// Collects what is wrong, to report every problem of a host at once.
struct Report {
    host: String,
    problems: Vec<String>,
}

impl Report {
    fn check(&mut self, ok: bool, what: impl FnOnce() -> String) {
        if !ok {
            self.problems.push(format!("{}: {}", self.host, what()));
        }
    }
}

/// What a scenario expects of the host's containers.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Containers {
    /// Running, with their env files.
    Run,
    /// Their images are missing and the registry is down: their units fail and say why.
    NoImage,
    /// Their secrets cannot be read: no env file (and no partial one), not started.
    NoSecrets,
}

fn boot_log(m: &Machine) -> String {
    m.read("/var/log/iac-boot.log").unwrap_or_default()
}

fn problems_in(log: &str) -> Vec<String> {
    log.lines().filter_map(|l| l.strip_prefix("iac: PROBLEM: ").map(str::to_owned)).collect()
}

/// A container's units fail in this scenario.
fn blocked(c: &Container, expect: Containers) -> bool {
    match expect {
        Containers::Run => false,
        Containers::NoImage => true,
        Containers::NoSecrets => c.has_secrets(),
    }
}

#[allow(clippy::too_many_lines)] // one block per kind of thing a host runs
fn check(m: &Machine, h: &BootHost, expect: Containers, boot: u32) -> Report {
    let mut r = Report { host: format!("{} (boot {boot})", name_of(h)), problems: Vec::new() };
    let host: &HostConfig = &h.host;
    let log = boot_log(m);
    r.check(log.matches("boot setup of").filter(|_| true).count() >= 1, || format!("no boot log:\n{log}"));
    r.check(log.matches(" started at ").count() == 1, || format!("the boot script ran more than once:\n{log}"));

    // The units that fail in this scenario, and what they hold up.
    let all_units = host.all_units();
    let containers: Vec<&Container> = host.all_containers().collect();
    let mut failing: BTreeSet<String> = NEEDS_THE_INTERNET.iter().map(|s| (*s).to_owned()).collect();
    for c in &containers {
        if blocked(c, expect) {
            failing.insert(format!("{}.service", c.name));
        }
    }
    // Units started by hand are not started at boot: nothing to report about them.
    failing.retain(|f| all_units.iter().any(|u| &u.name == f && !u.wanted_by.is_empty()));
    failing.retain(|u| all_units.iter().any(|x| &x.name == u));
    let expected_problems: BTreeSet<String> = failing
        .iter()
        .map(|u| {
            let c = containers.iter().find(|c| format!("{}.service", c.name) == *u);
            match (expect, c) {
                (Containers::NoSecrets, Some(c)) => format!(
                    "/etc/iac/{}.env could not be written (a secret could not be read): {u} is not started",
                    c.name
                ),
                _ => format!("{u} did not start; see journalctl -u {u}"),
            }
        })
        .collect();
    // Data volumes: the stand-in volume cannot be mounted (see `tests::boot`), so the boot script
    // reports it and does not start the units that keep their data on it.
    let volumes = data_volumes(&h.user_data);
    let mut no_data: BTreeSet<String> = BTreeSet::new();
    let mut expected_problems = expected_problems;
    for (mount, id) in host.data_mounts.iter().zip(&volumes) {
        no_data.extend(mount.required_by.iter().cloned());
        expected_problems.insert(format!(
            "data volume {id} could not be mounted at {}: {} not started",
            mount.mount_point,
            mount.required_by.join(" ")
        ));
        let fstab = m.read("/etc/fstab").unwrap_or_default();
        r.check(!fstab.contains(&mount.mount_point), || {
            format!("/etc/fstab names {} although it was not mounted:\n{fstab}", mount.mount_point)
        });
        for unit in &mount.required_by {
            let dropin = m.read(&format!("/etc/systemd/system/{unit}.d/iac-data.conf")).unwrap_or_default();
            r.check(dropin.contains("RequiresMountsFor="), || format!("{unit} has no data drop-in: {dropin:?}"));
            let p = m.unit(unit);
            r.check(p.get("ActiveState").is_some_and(|s| s != "active"), || {
                format!("{unit} runs without its data volume: {p:?}")
            });
        }
    }
    r.check(volumes.len() == host.data_mounts.len(), || {
        format!("{} data volumes in the model, {volumes:?} in the user data", host.data_mounts.len())
    });
    let supervisor_down = no_data.contains("supervisor.service");
    if boot == 1 {
        let found: BTreeSet<String> = problems_in(&log).into_iter().collect();
        r.check(found == expected_problems, || {
            let journals: Vec<String> = all_units
                .iter()
                .filter(|u| found.iter().any(|p| p.starts_with(&format!("{} ", u.name))))
                .map(|u| m.text(&format!("journalctl -b --no-pager -u {}", u.name)))
                .collect();
            format!(
                "the boot script reported {found:#?}, expected {expected_problems:#?}; its log:\n{log}\n{}",
                journals.join("\n")
            )
        });
        let status = m.text("cloud-init status --long");
        let want = if expected_problems.is_empty() { "status: done" } else { "status: error" };
        r.check(status.contains(want), || format!("cloud-init: expected `{want}`:\n{status}"));
    }

    // Packages, installed by cloud-init from the mirror.
    for p in packages(h) {
        let state = m.text(&format!("dpkg-query -W -f='${{Status}}' {p}"));
        r.check(state == "install ok installed", || format!("package {p}: {state}"));
    }
    // Every file, with its mode and content.
    for (path, mode, content) in written(h) {
        let stat = m.text(&format!("stat -c '%a %U:%G' {path}"));
        let want = format!("{} root:root", mode.trim_start_matches('0'));
        r.check(stat == want, || format!("{path}: mode and owner `{stat}`, expected `{want}`"));
        if let Some(content) = content {
            let now = m.read(&path).unwrap_or_default();
            r.check(now == content, || format!("{path}: content differs:\n{now}\n--- expected\n{content}"));
        }
    }

    // Units: enabled, started (or failed as the scenario says), in their order.
    let names: BTreeSet<&str> = all_units.iter().map(|u| u.name.as_str()).collect();
    let mut props = BTreeMap::new();
    for u in &all_units {
        props.insert(u.name.clone(), m.unit(&u.name));
    }
    let ts = |props: &BTreeMap<String, BTreeMap<String, String>>, unit: &str, key: &str| -> u64 {
        props.get(unit).and_then(|p| p.get(key)).and_then(|v| v.parse().ok()).unwrap_or(0)
    };
    for u in &all_units {
        let p = &props[&u.name];
        let get = |k: &str| p.get(k).cloned().unwrap_or_default();
        if let Some(user) = &u.user {
            let id = m.text(&format!("id -u {user}"));
            r.check(id.parse::<u32>().is_ok(), || format!("{} runs as {user}, who does not exist: {id}", u.name));
        }
        if u.wanted_by.is_empty() {
            continue; // started on demand or by a timer
        }
        r.check(get("UnitFileState") == "enabled", || format!("{} is {}, not enabled", u.name, get("UnitFileState")));
        if failing.contains(&u.name) {
            let state = get("ActiveState");
            let ok = match expect {
                Containers::NoSecrets if !NEEDS_THE_INTERNET.contains(&u.name.as_str()) && boot == 1 => {
                    state == "inactive"
                }
                _ => state == "failed" || state == "activating" || state == "inactive",
            };
            r.check(ok, || format!("{} should not run in this scenario, it is {state}/{}", u.name, get("SubState")));
            continue;
        }
        let ok = match u.service_type {
            ServiceType::Oneshot if u.remain_after_exit => get("ActiveState") == "active",
            ServiceType::Oneshot => get("Result") == "success",
            _ => get("ActiveState") == "active" && get("SubState") == "running",
        };
        r.check(ok, || {
            format!(
                "{} is {}/{} ({}):\n{}",
                u.name,
                get("ActiveState"),
                get("SubState"),
                get("Result"),
                m.text(&format!("journalctl -b --no-pager -n 30 -u {}", u.name))
            )
        });
        for later in &u.before {
            if names.contains(later.as_str()) && !failing.contains(later) {
                let done = ts(&props, &u.name, "ActiveEnterTimestampMonotonic");
                let starts = ts(&props, later, "InactiveExitTimestampMonotonic");
                r.check(done > 0 && done <= starts, || {
                    format!("{} (active at {done}) did not come before {later} (started at {starts})", u.name)
                });
            }
        }
        for dep in u.after.iter().chain(&u.requires) {
            if names.contains(dep.as_str()) && !failing.contains(dep) {
                let before = ts(&props, dep, "ActiveEnterTimestampMonotonic");
                let after = ts(&props, &u.name, "InactiveExitTimestampMonotonic");
                r.check(before > 0 && before <= after, || {
                    format!("{dep} (active at {before}) did not come before {} (started at {after})", u.name)
                });
            }
        }
    }
    for t in &host.timers {
        let p = m.unit(&t.name);
        r.check(
            p.get("UnitFileState").is_some_and(|s| s == "enabled")
                && p.get("ActiveState").is_some_and(|s| s == "active"),
            || format!("timer {}: {p:?}", t.name),
        );
    }

    // Containers: their env files and what the engine runs.
    let running = m.text("docker ps");
    let started_by_hand =
        |c: &Container| all_units.iter().any(|u| u.name == format!("{}.service", c.name) && u.wanted_by.is_empty());
    for c in containers.iter().filter(|c| !started_by_hand(c)) {
        let env_file = format!("/etc/iac/{}.env", c.name);
        let partial = m.text(&format!("ls {env_file}.tmp 2>/dev/null"));
        r.check(partial.is_empty(), || format!("a partial env file {env_file}.tmp was left"));
        if blocked(c, expect) {
            if expect == Containers::NoSecrets {
                let exists = m.sh(&format!("test -e {env_file}")).status.success();
                r.check(!exists, || format!("{env_file} was written although its secrets could not be read"));
            } else {
                // The unit says why, or the migration it requires does.
                let unit = format!("{}.service", c.name);
                let required: Vec<String> = all_units
                    .iter()
                    .find(|u| u.name == unit)
                    .map(|u| u.requires.iter().filter(|r| names_of(&all_units).contains(r)).cloned().collect())
                    .unwrap_or_default();
                let journal = m.text(&format!(
                    "journalctl -b --no-pager -u {unit} {}",
                    required.iter().map(|r| format!("-u {r}")).collect::<Vec<_>>().join(" ")
                ));
                r.check(journal.contains("is not on this host and could not be pulled"), || {
                    format!("{unit} does not say why it failed:\n{journal}")
                });
            }
            continue;
        }
        if !c.env.is_empty() {
            // Readable by its unit's user only (root, or the user the unit runs as).
            let owner = all_units
                .iter()
                .find(|u| u.name == format!("{}.service", c.name))
                .and_then(|u| u.user.clone())
                .unwrap_or_else(|| "root".into());
            let stat = m.text(&format!("stat -c '%a %U' {env_file}"));
            let want = format!("600 {owner}");
            r.check(stat == want, || format!("{env_file}: `{stat}`, expected {want}"));
        }
        let oneoff = c.restart == iac_core::app::Restart::No;
        if oneoff {
            let ran = m.read("/var/log/docker-fake-oneoff.log").unwrap_or_default();
            r.check(ran.contains(&format!("\"name\": \"{}\"", c.name)), || {
                format!("one-off container {} did not run", c.name)
            });
            continue;
        }
        r.check(running.lines().any(|l| l == c.name), || {
            format!("container {} is not running (docker ps: {running:?})", c.name)
        });
        let record: serde_json::Value = m
            .read(&format!("/var/lib/docker-fake/containers/{}.json", c.name))
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_default();
        r.check(record["image"].as_str() == Some(c.image.to_string().as_str()), || {
            format!("container {} runs {:?}, expected {}", c.name, record["image"], c.image)
        });
        let env = record["env"].as_object().cloned().unwrap_or_default();
        let keys: BTreeSet<&str> = env.keys().map(String::as_str).collect();
        let want: BTreeSet<&str> = c.env.iter().map(|e| e.name.as_str()).collect();
        r.check(keys == want, || format!("container {} has env {keys:?}, expected {want:?}", c.name));
        for e in &c.env {
            let got = env.get(&e.name).and_then(|v| v.as_str()).unwrap_or_default();
            let ok = match &e.value {
                Value::Lit(s) => got == s,
                v if v.contains_secret() => {
                    got.contains(FAKE_PASSWORD) || got.contains(FAKE_PASSWORD_URL) || got.contains("fake-value-of-")
                }
                _ => !got.is_empty(),
            };
            r.check(ok, || format!("container {}: {}={got:?} is not what the model says", c.name, e.name));
        }
    }

    // A container run on demand (ViewBovis' test deployment) is not running after boot; it starts
    // by hand, answers behind its site, and stops again.
    let on_demand: Vec<&iac_core::app::SystemdUnit> =
        all_units.iter().filter(|u| u.wanted_by.is_empty() && u.container.is_some()).collect();
    for site in &host.nginx_sites {
        let Some(u) = on_demand.iter().find(|u| u.name == format!("{}.service", site.name)) else { continue };
        let host_header = site.server_names.first().cloned().unwrap_or_default();
        let curl = format!("curl -sS -m 5 -H 'Host: {host_header}' http://127.0.0.1:{}/", site.listen);
        let before = m.text(&curl);
        r.check(before.contains("502 Bad Gateway"), || format!("{} answers before it is started: {before}", u.name));
        if expect == Containers::Run {
            let started = m.text(&format!("systemctl start {0} && sleep 1 && {curl}; systemctl stop {0}", u.name));
            r.check(started.contains(&format!("fake container {} ", site.name)), || {
                format!("{} started by hand does not answer behind site {}: {started}", u.name, site.name)
            });
            let after = m.unit(&u.name);
            r.check(after.get("ActiveState").is_some_and(|s| s == "inactive"), || {
                format!("{} did not stop: {after:?}", u.name)
            });
        }
    }
    // nginx answers on every route of every site (unless supervisor runs it and is down).
    let nginx_down =
        supervisor_down && host.supervisor.iter().any(|p| p.replaces_unit.as_deref() == Some("nginx.service"));
    for site in host.nginx_sites.iter().filter(|_| !nginx_down) {
        if on_demand.iter().any(|u| u.name == format!("{}.service", site.name)) {
            continue;
        }
        let host_header = site.server_names.first().cloned().unwrap_or_else(|| "localhost".into());
        for loc in &site.locations {
            let url_path = loc.path.trim_start_matches(['=', '~', ' ']).trim();
            match &loc.action {
                LocationAction::Proxy { port } => {
                    let body = m.text(&format!(
                        "curl -sS -m 5 -H 'Host: {host_header}' http://127.0.0.1:{}{url_path}",
                        site.listen
                    ));
                    if expect == Containers::NoImage {
                        // nginx is up and routes the name; what it routes to is down.
                        r.check(body.contains("502 Bad Gateway"), || {
                            format!("nginx site {} ({host_header}) without its container: {body}", site.name)
                        });
                        continue;
                    }
                    let behind = containers.iter().find(|c| body.contains(&format!("fake container {} ", c.name)));
                    r.check(behind.is_some(), || {
                        format!(
                            "nginx site {} ({host_header}) does not reach its container on port {port}: {body}\n{}",
                            site.name,
                            m.text("systemctl status --no-pager nginx; journalctl -b --no-pager -u nginx | tail -20")
                        )
                    });
                }
                LocationAction::StubStatus { .. } => {
                    let body = m.text(&format!(
                        "curl -sS -m 5 -H 'Host: {host_header}' http://127.0.0.1:{}{url_path}",
                        site.listen
                    ));
                    r.check(body.contains("Active connections"), || {
                        format!("nginx site {}: {url_path} answers {body}", site.name)
                    });
                }
                LocationAction::PhpFpm { .. } => {
                    let root = site.root.clone().unwrap_or_default();
                    let body = m.text(&format!(
                        "mkdir -p {root} && printf '<?php echo \"php answers\";' > {root}/iac-probe.php && curl -sS -m 5 -H 'Host: {host_header}' http://127.0.0.1:{}/iac-probe.php; rm -f {root}/iac-probe.php",
                        site.listen
                    ));
                    r.check(body.contains("php answers"), || {
                        format!("nginx site {}: PHP through php-fpm answers {body}", site.name)
                    });
                }
                LocationAction::TryFiles(_) => {}
            }
        }
    }
    // supervisor's programs.
    if !host.supervisor.is_empty() && !supervisor_down {
        // A program is RUNNING once it has stayed up for its startsecs (5 s).
        m.text("for i in $(seq 1 30); do supervisorctl status | grep -q STARTING || break; sleep 1; done");
    }
    for p in host.supervisor.iter().filter(|_| !supervisor_down) {
        let status = m.text(&format!("supervisorctl status {}", p.name));
        let ok =
            if NEEDS_THE_CODE.contains(&p.name.as_str()) { !status.is_empty() } else { status.contains("RUNNING") };
        r.check(ok, || format!("supervisor program {}: {status}", p.name));
    }
    // The firewall.
    if let Some(fw) = &host.firewall {
        let status = m.text("ufw status verbose");
        r.check(
            status.contains("Status: active") && status.contains("Default: deny (incoming), allow (outgoing)"),
            || format!("ufw: {status}"),
        );
        for rule in &fw.rules {
            r.check(status.contains(&format!("{}/{}", rule.port, rule.protocol.as_str())), || {
                format!("ufw has no rule for port {}: {status}", rule.port)
            });
        }
    }
    // Swap (a container may not switch it on: the file and fstab show it).
    if let Some(swap) = &host.swap {
        let stat = m.text(&format!("stat -c '%a %s' {}", swap.path));
        let want = format!("600 {}", u64::from(swap.size_mib) * 1024 * 1024);
        r.check(stat == want, || {
            format!(
                "swap file {}: `{stat}`, expected `{want}` (cloud-init: {}; free space of the layer: {})",
                swap.path,
                m.text("grep -i swap /var/log/cloud-init.log | tail -3"),
                m.text("df -h / | tail -1")
            )
        });
        let fstab = m.read("/etc/fstab").unwrap_or_default();
        r.check(fstab.lines().any(|l| l.starts_with(&swap.path) && l.contains("swap")), || {
            format!("no swap line in /etc/fstab:\n{fstab}")
        });
    }
    r
}

fn names_of(units: &[iac_core::app::SystemdUnit]) -> Vec<String> {
    units.iter().map(|u| u.name.clone()).collect()
}

fn only(h: &BootHost) -> bool {
    std::env::var("IAC_BOOT_ONLY").map_or(true, |p| format!("{}/{}/{}", h.stack, h.env, h.id).starts_with(&p))
}

/// The hosts booted again under faults: one of each kind that runs containers (a web tier with
/// a secret, a host whose units and nginx route to containers, a host with two secrets).
const FAULT_HOSTS: [&str; 3] =
    ["aquamark/prod/web-launch-template", "viewbovis/prod/app-instance", "ichnaea/prod/admin-instance"];

/// One boot job: a host booted twice, or once under a fault.
enum Job<'a> {
    Twice(&'a BootHost),
    Fault(&'a BootHost, &'static str, Scenario, Containers),
}

/// Hosts with a swap file boot one at a time: each writes gigabytes into its layer.
static SWAP_HOSTS: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Boots `h` twice: the checks after each, and the second must change no file.
fn twice(env: &BootEnv, h: &BootHost) -> Vec<String> {
    let _one_swap_at_a_time =
        h.host.swap.is_some().then(|| SWAP_HOSTS.lock().unwrap_or_else(std::sync::PoisonError::into_inner));
    let t = Instant::now();
    let name = name_of(h);
    let inst = env.instance(&name, &h.user_data, &packages(h), &Scenario::default());
    let m = inst.boot();
    let booted = t.elapsed().as_secs_f64();
    if std::env::var_os("IAC_BOOT_DEBUG").is_some() {
        eprintln!("{}", m.text("systemd-analyze blame | head -12; systemd-analyze critical-chain cloud-final.service"));
    }
    let mut problems = check(&m, h, Containers::Run, 1).problems;
    let before = digest(&m, h);
    m.poweroff();
    let second = Instant::now();
    let m = inst.boot();
    problems.extend(check(&m, h, Containers::Run, 2).problems);
    let after = digest(&m, h);
    if before != after {
        problems.push(format!("{name}: the second boot changed files:\n{before}\n---\n{after}"));
    }
    m.poweroff();
    eprintln!(
        "boot: {name}: first boot {booted:.1} s, both with checks {:.1} s (second {:.1} s)",
        t.elapsed().as_secs_f64(),
        second.elapsed().as_secs_f64()
    );
    problems
}

/// Boots `h` once in `scenario`.
fn fault(env: &BootEnv, h: &BootHost, what: &str, scenario: &Scenario, expect: Containers) -> Vec<String> {
    let t = Instant::now();
    let name = format!("{}-{}", name_of(h), expect as u8);
    let inst = env.instance(&name, &h.user_data, &packages(h), scenario);
    let m = inst.boot();
    let mut report = check(&m, h, expect, 1);
    if expect == Containers::Run {
        let journal = m.text("journalctl -b --no-pager | grep 'could not refresh' || true");
        report.check(!journal.is_empty(), || "no unit said that it could not refresh its image".into());
    }
    m.poweroff();
    eprintln!("boot: {} ({what}): {:.1} s", name_of(h), t.elapsed().as_secs_f64());
    report.problems.into_iter().map(|p| format!("[{what}] {p}")).collect()
}

#[test]
fn every_host_boots_twice_and_degrades_under_faults() {
    let Some(env) = BootEnv::find() else { return };
    let started = Instant::now();
    let hosts = hosts();
    let mut jobs: Vec<Job<'_>> = hosts.iter().filter(|h| only(h)).map(Job::Twice).collect();
    for h in
        hosts.iter().filter(|h| only(h) && FAULT_HOSTS.contains(&format!("{}/{}/{}", h.stack, h.env, h.id).as_str()))
    {
        let images: Vec<String> = h.host.all_containers().map(|c| c.image.to_string()).collect();
        jobs.push(Job::Fault(
            h,
            "registry down, images baked in",
            Scenario { registry_down: true, images_present: images, aws_denied: false },
            Containers::Run,
        ));
        jobs.push(Job::Fault(
            h,
            "registry down, no image",
            Scenario { registry_down: true, ..Scenario::default() },
            Containers::NoImage,
        ));
        if h.host.needs_secrets() {
            jobs.push(Job::Fault(
                h,
                "secrets unreadable",
                Scenario { aws_denied: true, ..Scenario::default() },
                Containers::NoSecrets,
            ));
        }
    }
    let boots: usize = jobs.iter().map(|j| if matches!(j, Job::Twice(_)) { 2 } else { 1 }).sum();
    // Two machines at a time (IAC_BOOT_JOBS): a boot waits on apt and dpkg as much as on a core.
    let workers: usize = std::env::var("IAC_BOOT_JOBS").ok().and_then(|v| v.parse().ok()).unwrap_or(2);
    let queue = std::sync::Mutex::new(jobs);
    let problems = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..workers.max(1) {
            s.spawn(|| {
                loop {
                    let job = queue.lock().expect("queue").pop();
                    let Some(job) = job else { break };
                    let found = match &job {
                        Job::Twice(h) => twice(&env, h),
                        Job::Fault(h, what, scenario, expect) => fault(&env, h, what, scenario, *expect),
                    };
                    problems.lock().expect("problems").extend(found);
                }
            });
        }
    });
    let problems = problems.into_inner().expect("problems");
    eprintln!("boot test: {boots} boots in {:.1} s", started.elapsed().as_secs_f64());
    assert!(problems.is_empty(), "{} problem(s):\n{}", problems.len(), problems.join("\n\n"));
}
