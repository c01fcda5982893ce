//! `ViewBovis` (single-host Flask app): one private EC2 host reachable only through the VPN, the
//! app container (gunicorn on 127.0.0.1:3000) and the Nextstrain Auspice server (4001) behind
//! nginx, which routes the two host names; the production data pulled from S3 at boot, the
//! request analytics written at shutdown, and the host on from 08:00 to 22:00. From `seeds/001`.
//!
//! The guide's `ranch-869` runs its systemd units from the repository; here they are typed
//! [`SystemdUnit`]s in the host's cloud-init user data. The guide starts the machine from outside
//! and stops it with a cronjob; here two `EventBridge` Scheduler schedules start and stop the
//! instance (the stop is a clean shutdown, so the analytics unit runs). As in the guide, the units
//! run as its service user (`ranch-869` there), and the test deployment that precedes each
//! production one is a container on the same host, `viewbovis-test` on the `:prod-test` image
//! behind the testing domain, started by hand and stopped after the test
//! (`systemctl start|stop viewbovis-test`).

use iac_core::app::{Container, HostConfig, HostFile, NetworkMode, NginxSite, ServiceType, SystemdUnit};
use iac_core::model::{
    Peer, Policy, Role, RootVolume, Rule, Schedule, ScheduleTarget, SecurityGroupIngress, Statement,
};
use iac_core::net::Ipv4Cidr;
use iac_core::patterns::{Host, HostProps, suppress};
use iac_core::stack::{ParamKind, Parameter, Stack, StackBuilder};
use iac_core::value::{Pseudo, Value};
use serde::Deserialize;

use crate::config::ConfigSource;
use crate::error::StackError;

/// The stack's config, one file per environment.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Where the host runs.
    pub network: NetworkConfig,
    /// The app container and its host names.
    pub app: AppConfig,
    /// The data bucket.
    pub data: DataConfig,
    /// The test deployment on the same host.
    pub test: TestConfig,
    /// The Nextstrain Auspice server.
    pub nextstrain: NextstrainConfig,
    /// The machine.
    pub host: MachineConfig,
    /// When the host runs.
    pub schedule: ScheduleConfig,
}

/// A new VPC, or an existing one, and the VPN range that reaches the host.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkConfig {
    /// Range of a new VPC.
    pub cidr: Option<Ipv4Cidr>,
    /// An existing VPC instead of a new one.
    pub existing: Option<crate::network::ExistingNetwork>,
    /// The VPN's range: the only source of HTTP and SSH (the guide's `PaloAlto` VPN).
    pub vpn_cidr: Ipv4Cidr,
}

/// The app.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppConfig {
    /// The image, e.g. `aphacsubot/viewbovis:prod`.
    pub image: String,
    /// The container's name (`viewbovis`, or `viewbovis-test` for the test deployment).
    pub container_name: String,
    /// The app's host name, routed by nginx to gunicorn.
    pub domain: String,
    /// Where gunicorn listens on the host (the image binds 127.0.0.1:3000).
    pub port: u16,
    /// Why the image's tag could not be checked against its upstream (synth warns).
    pub image_unverified: Option<String>,
}

/// The guide's test deployment: a second container of the app on the same host, behind the
/// testing domain, started by hand before a release and stopped after the test.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TestConfig {
    /// The test image, e.g. `aphacsubot/viewbovis:prod-test`.
    pub image: String,
    /// The container's name (`viewbovis-test` in the guide).
    pub container_name: String,
    /// The testing domain, routed by nginx to the test container.
    pub domain: String,
    /// Where its gunicorn listens (the production one has `app.port`).
    pub port: u16,
    /// Why the image's tag could not be checked against its upstream (synth warns).
    pub image_unverified: Option<String>,
}

/// The production data.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataConfig {
    /// The bucket (exists outside the stack; the host's role may only read it).
    pub bucket: String,
    /// Key prefix synced to `dir` at boot (empty: the whole bucket).
    #[serde(default)]
    pub prefix: String,
    /// Directory on the host, mounted at `/data` in the app container.
    pub dir: String,
}

/// The Nextstrain Auspice server.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NextstrainConfig {
    /// A pinned image that has `auspice`.
    pub image: String,
    /// The dashboard's host name.
    pub domain: String,
    /// Where Auspice listens on the host.
    pub port: u16,
    /// Dataset directory under the data directory.
    pub datasets: String,
    /// Why the image's tag could not be checked against its upstream (synth warns).
    pub image_unverified: Option<String>,
}

/// The machine.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MachineConfig {
    /// Instance type.
    pub instance_type: String,
    /// Root volume, GiB.
    pub root_volume_gib: u32,
    /// The AMI (an Ubuntu 24.04 image; otherwise given at deploy time).
    pub ami_id: Option<String>,
    /// The user the app's units run as (the guide's `ranch-869`), created at first boot.
    pub service_user: String,
}

/// When the host runs.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduleConfig {
    /// IANA time zone.
    pub timezone: String,
    /// Hour the host starts (every day).
    pub start_hour: u8,
    /// Hour the host stops (every day).
    pub stop_hour: u8,
}

/// Where the host's logs of the app live (bind-mounted into the container).
const ACCESS_LOG: &str = "/var/log/viewbovis-access.log";
const ERROR_LOG: &str = "/var/log/viewbovis-error.log";
const DOWNLOAD: &str = "/usr/local/bin/viewbovis-download";
const TEST_ACCESS_LOG: &str = "/var/log/viewbovis-test-access.log";
const TEST_ERROR_LOG: &str = "/var/log/viewbovis-test-error.log";
const TEST_ACCESS_LOG_IN: &str = "/ViewBovis/test-access.log";
const TEST_ERROR_LOG_IN: &str = "/ViewBovis/test-error.log";

/// The guide's gunicorn command line, on `port`, logging to the given files in the container.
fn gunicorn(port: u16, access_log: &str, error_log: &str) -> Vec<String> {
    [
        "gunicorn".to_owned(),
        "-b".into(),
        format!("127.0.0.1:{port}"),
        "-w".into(),
        "4".into(),
        "deploy:app".into(),
        "--log-level=info".into(),
        "--access-logfile".into(),
        access_log.into(),
        "--error-logfile".into(),
        error_log.into(),
    ]
    .into()
}
const ANALYTICS: &str = "/usr/local/bin/viewbovis-analytics";

/// The guide's `parse_nginx_log.py`: today's requests per path, from nginx's access log, as JSON
/// in `/var/log/viewbovis_requests_YYYY-mm-dd`.
const ANALYTICS_SCRIPT: &str = r#"#!/usr/bin/env python3
"""Counts today's requests per path in nginx's access log and writes them as JSON to
/var/log/viewbovis_requests_YYYY-mm-dd. Run by viewbovis-analytics.service when the host stops."""
import collections
import datetime
import json
import re

LOG = "/var/log/nginx/access.log"
today = datetime.date.today()
stamp = today.strftime("%d/%b/%Y")
request = re.compile(r'\[(\d{2}/\w{3}/\d{4}):[^\]]*\] "[A-Z]+ ([^ ?"]*)')
counts = collections.Counter()
try:
    with open(LOG, encoding="utf-8", errors="replace") as f:
        for line in f:
            m = request.search(line)
            if m and m.group(1) == stamp:
                counts[m.group(2)] += 1
except FileNotFoundError:
    pass
with open(f"/var/log/viewbovis_requests_{today:%Y-%m-%d}", "w", encoding="utf-8") as out:
    json.dump(dict(sorted(counts.items())), out, indent=4)
"#;

fn download_script(bucket: &str, prefix: &str, dir: &str) -> String {
    let source = if prefix.is_empty() { format!("s3://{bucket}") } else { format!("s3://{bucket}/{prefix}") };
    format!(
        r"#!/bin/sh
# Pulls the latest production data from {source} to {dir} (the guide's download_viewbovis_data.service).
set -eu
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/snap/bin
mkdir -p '{dir}'
aws s3 sync --only-show-errors '{source}' '{dir}'
"
    )
}

/// Builds the stack for `env` from `source`.
#[allow(clippy::too_many_lines)] // the stack, read top to bottom
pub fn build(env: &str, source: &ConfigSource) -> Result<Stack, StackError> {
    let cfg: Config = source.parse()?;
    if cfg.schedule.start_hour > 23 || cfg.schedule.stop_hour > 23 {
        return Err(source.value_error("schedule", "hours are 0 to 23"));
    }
    if !cfg.data.dir.starts_with('/') || cfg.data.dir.contains(['\'', ' ']) {
        return Err(source.value_error("data.dir", "give an absolute path without quotes or spaces, e.g. `/ViewBovis`"));
    }
    let mut stack = StackBuilder::new("viewbovis", env);
    stack
        .description("ViewBovis: one private host (app container, Nextstrain, nginx), S3 data at boot, on 08:00-22:00");
    stack.tag("app", "viewbovis");

    let network = crate::network::network(
        &mut stack,
        source,
        cfg.network.cidr,
        cfg.network.existing.as_ref(),
        crate::network::NewVpc { zones: 2, nat_per_zone: false },
    )?;
    let ami = stack.parameter(
        "HostImageId",
        Parameter {
            kind: ParamKind::ImageId,
            description: "Ubuntu 24.04 AMI of the ViewBovis host".into(),
            default: cfg.host.ami_id.clone(),
        },
    );

    // The app: gunicorn inside the image on 127.0.0.1:<port>, host networking, the data and the
    // two log files bind-mounted as in the guide's `docker run`.
    let user = cfg.host.service_user.as_str();
    let mut app = Container::new(cfg.app.container_name.as_str(), &cfg.app.image)
        .with_unverified_image(cfg.app.image_unverified.as_deref())
        .with_mount(cfg.data.dir.as_str(), "/data", false)
        .with_mount(ACCESS_LOG, "/ViewBovis/access.log", false)
        .with_mount(ERROR_LOG, "/ViewBovis/error.log", false);
    app.network = NetworkMode::Host;
    // The test deployment: the test image, its own logs, gunicorn on the test port (the guide's
    // command line with that port).
    let mut test = Container::new(cfg.test.container_name.as_str(), &cfg.test.image)
        .with_unverified_image(cfg.test.image_unverified.as_deref())
        .with_command(gunicorn(cfg.test.port, TEST_ACCESS_LOG_IN, TEST_ERROR_LOG_IN))
        .with_mount(cfg.data.dir.as_str(), "/data", false)
        .with_mount(TEST_ACCESS_LOG, TEST_ACCESS_LOG_IN, false)
        .with_mount(TEST_ERROR_LOG, TEST_ERROR_LOG_IN, false);
    test.network = NetworkMode::Host;
    let data_unit_name = format!("{}-data.service", cfg.app.container_name);
    let mut data_unit = SystemdUnit::new(
        data_unit_name.as_str(),
        format!("Download the ViewBovis data from s3://{} to {}", cfg.data.bucket, cfg.data.dir),
    )
    .of_type(ServiceType::Oneshot)
    .exec([DOWNLOAD])
    .after_unit("network-online.target", true);
    data_unit.remain_after_exit = true;
    data_unit.user = Some(user.to_owned());
    // The data directory is the service user's (created as root: `+`).
    data_unit.exec_start_pre.push(vec![
        "+/usr/bin/install".into(),
        "-d".into(),
        "-o".into(),
        user.into(),
        "-g".into(),
        user.into(),
        cfg.data.dir.clone(),
    ]);
    data_unit.before = vec![format!("{}.service", cfg.app.container_name)];
    let mut app_unit = SystemdUnit::container(app, "ViewBovis app (gunicorn in Docker, host network)")
        .after_unit(data_unit_name.as_str(), true);
    app_unit.user = Some(user.to_owned());
    // The bind-mounted log files must exist, or Docker would create directories in their place
    // (in /var/log, so as root: `+`).
    app_unit.exec_start_pre.push(vec!["+/usr/bin/touch".into(), ACCESS_LOG.into(), ERROR_LOG.into()]);
    let mut test_unit = SystemdUnit::container(
        test,
        "ViewBovis test deployment (started by hand before a release, stopped after the test)",
    )
    .after_unit(data_unit_name.as_str(), false);
    test_unit.user = Some(user.to_owned());
    test_unit.wanted_by.clear();
    test_unit.exec_start_pre.push(vec!["+/usr/bin/touch".into(), TEST_ACCESS_LOG.into(), TEST_ERROR_LOG.into()]);

    let mut auspice = Container::new("nextstrain", &cfg.nextstrain.image)
        .with_unverified_image(cfg.nextstrain.image_unverified.as_deref())
        .with_command(["auspice", "view", "--datasetDir", &format!("/data/{}", cfg.nextstrain.datasets)])
        .with_env("HOST", "127.0.0.1")
        .with_env("PORT", cfg.nextstrain.port.to_string())
        .with_mount(cfg.data.dir.as_str(), "/data", true);
    auspice.network = NetworkMode::Host;
    let mut nextstrain_unit =
        SystemdUnit::container(auspice, "Nextstrain Auspice server").after_unit(data_unit_name.as_str(), true);
    nextstrain_unit.user = Some(user.to_owned());

    let mut analytics =
        SystemdUnit::new("viewbovis-analytics.service", "Write the day's ViewBovis request counts when the host stops")
            .of_type(ServiceType::Oneshot)
            .exec(["/bin/true"])
            .exec_stop(["/usr/bin/python3", ANALYTICS])
            .after_unit("nginx.service", false);
    analytics.remain_after_exit = true;
    analytics.timeout_stop_seconds = Some(120);

    let host_config = HostConfig {
        name: format!("viewbovis-{env}"),
        packages: vec!["python3".into()],
        docker: true,
        aws_cli: true,
        files: vec![
            HostFile {
                path: DOWNLOAD.into(),
                mode: 0o755,
                content: download_script(&cfg.data.bucket, &cfg.data.prefix, &cfg.data.dir),
            },
            HostFile { path: ANALYTICS.into(), mode: 0o755, content: ANALYTICS_SCRIPT.into() },
        ],
        units: vec![data_unit, app_unit, nextstrain_unit, test_unit, analytics],
        nginx_sites: vec![
            NginxSite::proxy(cfg.app.container_name.as_str(), cfg.app.domain.as_str(), cfg.app.port),
            NginxSite::proxy("nextstrain", cfg.nextstrain.domain.as_str(), cfg.nextstrain.port),
            NginxSite::proxy(cfg.test.container_name.as_str(), cfg.test.domain.as_str(), cfg.test.port),
        ],
        ..HostConfig::default()
    };

    let bucket = &cfg.data.bucket;
    let read_data = Statement {
        allow: true,
        actions: vec!["s3:GetObject".into(), "s3:ListBucket".into()],
        resources: vec![Value::from(format!("arn:aws:s3:::{bucket}")), Value::from(format!("arn:aws:s3:::{bucket}/*"))],
    };
    let vpn = cfg.network.vpn_cidr.to_string();
    let host = Host::create(
        &mut stack,
        HostProps {
            name: "App",
            network: &network,
            image_id: ami.value(),
            instance_type: cfg.host.instance_type.clone(),
            host: host_config,
            admin_cidrs: vec![vpn.clone()],
            root_volume: RootVolume::gp3("/dev/sda1", cfg.host.root_volume_gib),
            statements: vec![read_data],
            internet_egress_ports: vec![80, 443],
            vpc_egress_ports: Vec::new(),
            data_volume: None,
        },
    );
    stack.add(
        "AppHttpFromVpn",
        SecurityGroupIngress {
            group_id: host.security_group.group_id(),
            rule: Rule::tcp(
                80,
                Peer::Cidr(vpn.as_str().into()),
                "HTTP from the VPN: nginx routes the app and Nextstrain names",
            ),
        },
    );

    // On 08:00, off 22:00, every day: EventBridge Scheduler calls EC2 with its own role.
    let instance_arn = Value::join([
        Value::from("arn:aws:ec2:"),
        Value::Pseudo(Pseudo::Region),
        Value::from(":"),
        Value::Pseudo(Pseudo::AccountId),
        Value::from(":instance/"),
        host.instance.instance_id(),
    ]);
    let scheduler_role = stack.add(
        "PowerScheduleRole",
        Role {
            description: format!("viewbovis {env}: EventBridge Scheduler starts and stops the host"),
            assumed_by: vec!["scheduler.amazonaws.com".into()],
            managed_policy_arns: Vec::new(),
            policies: vec![Policy {
                name: "power".into(),
                statements: vec![Statement {
                    allow: true,
                    actions: vec!["ec2:StartInstances".into(), "ec2:StopInstances".into()],
                    resources: vec![instance_arn],
                }],
            }],
        },
    );
    let input = Value::join([Value::from("{\"InstanceIds\":[\""), host.instance.instance_id(), Value::from("\"]}")]);
    for (id, action, hour, what) in [
        ("StartSchedule", "startInstances", cfg.schedule.start_hour, "Start"),
        ("StopSchedule", "stopInstances", cfg.schedule.stop_hour, "Stop"),
    ] {
        stack.add_with(
            id,
            Schedule {
                description: format!("{what} the ViewBovis {env} host at {hour:02}:00 every day"),
                expression: format!("cron(0 {hour} * * ? *)"),
                timezone: cfg.schedule.timezone.clone(),
                name: None,
                target: ScheduleTarget::Call {
                    target_arn: Schedule::universal_target("ec2", action).into(),
                    input: input.clone(),
                },
                role_arn: scheduler_role.arn(),
                enabled: true,
            },
            |e| {
                e.suppressions.push(suppress(
                    "CKV_AWS_297",
                    "the schedule's input is an instance id, nothing a customer-managed key would protect",
                ));
            },
        );
    }

    stack.output("InstanceId", "The ViewBovis host", host.instance.instance_id());
    stack.output("PrivateIp", "Its address inside the VPC (reached through the VPN)", host.instance.private_ip());
    stack.output("SiteUrl", "The app", Value::from(format!("http://{}", cfg.app.domain)));
    stack.output("NextstrainUrl", "The Auspice dashboard", Value::from(format!("http://{}", cfg.nextstrain.domain)));
    Ok(stack.build()?)
}
