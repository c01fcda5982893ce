//! Postback (PHP + Redis + Node worker): one host whose daemons supervisord runs (nginx,
//! php-fpm, Redis with AOF persistence, the Node.js queue worker, InfluxDB with its collectd
//! input, collectd), behind a firewall that admits 22 and 80 and the monitoring ports only from
//! an admin range, with a 4 GB swap file and the guide's kernel settings. From `seeds/003`.
//!
//! The guide's host is a DigitalOcean droplet. The same [`HostConfig`] (one cloud-init document)
//! is deployed two ways, one per environment: `do` renders a droplet and a DigitalOcean cloud
//! firewall (Terraform with the `digitalocean` provider), `aws` an EC2 host whose security group
//! mirrors the firewall (CloudFormation or Terraform). Where the guide is dated (php5, InfluxDB
//! 0.8 and its admin UI on 8083, Upstart overrides) the stack uses the current packages of
//! Ubuntu 24.04 and keeps the guide's values as comments in the config.
//!
//! The same daemons are also an [`App`] for compose only (one host has no use for Kubernetes
//! manifests): official pinned images for nginx, php-fpm, Redis (AOF on a named volume), Node
//! and InfluxDB 1.x, collectd on a pinned Debian image (there is no official one). The PHP
//! setting, InfluxDB's and collectd's config are the host's text with container addresses; each
//! container writes its file from a variable before it starts (apps mount named volumes only).
//! The firewall and the swap file are the host's business, not the compose file's.

use iac_core::app::{
    Container, ContainerHealth, DataBind, Firewall, FirewallProtocol, FirewallRule, HostConfig, HostFile,
    LocationAction, NginxLocation, NginxSite, ServiceType, SupervisorProgram, Swap, SystemdUnit,
};
use iac_core::model::{DoFirewall, DoFirewallRule, Droplet, Peer, RootVolume, Rule, SecurityGroupIngress};
use iac_core::net::Ipv4Cidr;
use iac_core::patterns::{DataVolumeProps, Host, HostProps, Network, NetworkProps, suppress};
use iac_core::stack::{ParamKind, Parameter, Stack, StackBuilder};
use iac_core::workload::{App, Condition, Platform, Service, Volume};
use serde::Deserialize;

use crate::config::ConfigSource;
use crate::error::StackError;

/// The stack's config, one file per environment: `[app]`, `[firewall]`, `[swap]`,
/// `[monitoring]`, and exactly one of `[aws]` or `[digitalocean]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The application and its packages.
    pub app: AppConfig,
    /// Who reaches what.
    pub firewall: FirewallConfig,
    /// The swap file.
    pub swap: SwapConfig,
    /// InfluxDB and collectd.
    pub monitoring: MonitoringConfig,
    /// An EC2 host.
    pub aws: Option<AwsConfig>,
    /// A DigitalOcean droplet.
    pub digitalocean: Option<DigitalOceanConfig>,
}

/// The application.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppConfig {
    /// Git repository of the app.
    pub repository: String,
    /// The commit (or tag) deployed.
    pub revision: String,
    /// Where it is cloned (the guide: nginx's document root).
    pub dir: String,
    /// PHP version of the image's php-fpm, e.g. `8.3` (guide: php5).
    pub php_version: String,
    /// The Node.js queue worker, relative to `dir`.
    pub worker: String,
    /// Distribution packages.
    pub packages: Vec<String>,
}

/// Who reaches what.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FirewallConfig {
    /// Ranges admitted on the monitoring ports (the guide leaves them open "to demonstrate").
    pub admin_cidrs: Vec<String>,
    /// Ranges admitted on SSH (empty: anywhere, as in the guide).
    #[serde(default)]
    pub ssh_cidrs: Vec<String>,
    /// Ranges admitted on HTTP (empty: anywhere, as in the guide).
    #[serde(default)]
    pub http_cidrs: Vec<String>,
    /// The monitoring ports (guide: 8083 InfluxDB 0.8's admin UI, gone in 1.x; 8086 its HTTP API).
    pub monitoring_ports: Vec<u16>,
}

/// The swap file and the kernel's use of it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SwapConfig {
    /// Size, MiB.
    pub size_mib: u32,
    /// `vm.swappiness`.
    pub swappiness: u32,
    /// `vm.vfs_cache_pressure`.
    pub vfs_cache_pressure: u32,
}

/// InfluxDB and collectd.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MonitoringConfig {
    /// The database collectd writes to.
    pub database: String,
    /// InfluxDB's collectd input (UDP, on 127.0.0.1).
    pub collectd_port: u16,
}

/// An EC2 host.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AwsConfig {
    /// Range of a new VPC.
    pub cidr: Ipv4Cidr,
    /// Instance type.
    pub instance_type: String,
    /// Root volume, GiB.
    pub root_volume_gib: u32,
    /// The data volume of Redis' AOF and InfluxDB's data, GiB: kept when the host is replaced.
    pub data_volume_gib: u32,
    /// The AMI (Ubuntu 24.04).
    pub ami_id: Option<String>,
}

/// A DigitalOcean droplet.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DigitalOceanConfig {
    /// Region slug.
    pub region: String,
    /// Size slug.
    pub size: String,
    /// Image slug.
    pub image: String,
    /// SSH key fingerprints or ids.
    pub ssh_keys: Vec<String>,
    /// Weekly backups.
    pub backups: bool,
}

const DEPLOY: &str = "/usr/local/bin/postback-deploy";

fn deploy_script(app: &AppConfig) -> String {
    format!(
        r#"#!/bin/sh
# Clones the app at its revision and installs its dependencies (the guide's "Clone Code").
set -eu
dir='{dir}'
if [ ! -d "$dir/.git" ]; then
  git clone '{repo}' "$dir"
fi
git -C "$dir" fetch --quiet origin
git -C "$dir" checkout --quiet '{rev}'
cd "$dir/php"
COMPOSER_ALLOW_SUPERUSER=1 composer install --no-dev --no-interaction
cd "$dir/nodejs"
npm install --omit=dev
"#,
        dir = app.dir,
        repo = app.repository,
        rev = app.revision,
    )
}

/// php-fpm's configuration on the host: one pool on [`FPM_SOCKET`], with the guide's setting.
const FPM_CONFIG: &str = "/etc/postback/php-fpm.conf";
/// The socket nginx sends PHP to.
const FPM_SOCKET: &str = "/run/php/postback-fpm.sock";
const FPM_POOL: &str = r"; php-fpm of Postback, run by supervisor (any PHP version the distribution ships).
[global]
pid = /run/php/postback-fpm.pid
error_log = /proc/self/fd/2
daemonize = no

[postback]
user = www-data
group = www-data
listen = /run/php/postback-fpm.sock
listen.owner = www-data
listen.group = www-data
pm = dynamic
pm.max_children = 10
pm.start_servers = 2
pm.min_spare_servers = 1
pm.max_spare_servers = 4
; The guide's php-fpm setting: never guess a script from a path.
php_admin_value[cgi.fix_pathinfo] = 0
";

/// The guide's php-fpm setting.
const PHP_INI: &str = "; The guide's php-fpm setting: never guess a script from a path.\ncgi.fix_pathinfo=0\n";

/// InfluxDB's config; its collectd input listens on `collectd_host` (`127.0.0.1` on the host,
/// every interface in compose).
fn influxdb_conf(m: &MonitoringConfig, collectd_host: &str) -> String {
    format!(
        r#"# InfluxDB 1.x, run by supervisor. The guide's 0.8 `[input_plugins.collectd]` is `[[collectd]]`.
reporting-disabled = true

[meta]
  dir = "/var/lib/influxdb/meta"

[data]
  dir = "/var/lib/influxdb/data"
  wal-dir = "/var/lib/influxdb/wal"

[http]
  enabled = true
  bind-address = ":8086"

[[collectd]]
  enabled = true
  bind-address = "{collectd_host}:{port}"
  database = "{db}"
  typesdb = "/usr/share/collectd/types.db"
"#,
        port = m.collectd_port,
        db = m.database,
    )
}

/// collectd's config: it sends to InfluxDB at `influxdb` and reads nginx's status from `nginx`
/// (host names: `127.0.0.1` on the host, the compose services in compose).
fn collectd_conf(m: &MonitoringConfig, influxdb: &str, nginx: &str) -> String {
    format!(
        r#"# collectd, run by supervisor: cpu, load, memory, network, nginx status and swap to InfluxDB.
# The host's own name, not one looked up in DNS (which fails on a host whose name does not resolve).
FQDNLookup false

LoadPlugin logfile
LoadPlugin syslog

<Plugin logfile>
	LogLevel "info"
	File STDOUT
	Timestamp true
	PrintSeverity false
</Plugin>

LoadPlugin cpu
LoadPlugin load
LoadPlugin memory
LoadPlugin network
LoadPlugin nginx
LoadPlugin swap

<Plugin network>
	Server "{influxdb}" "{port}"
</Plugin>

<Plugin nginx>
	URL "http://{nginx}:80/nginx_status?auto"
</Plugin>
"#,
        port = m.collectd_port,
    )
}

/// The host, the same on every cloud.
#[allow(clippy::too_many_lines)] // the host, read top to bottom
fn host_config(env: &str, cfg: &Config) -> HostConfig {
    let app = &cfg.app;
    let program = |name: &str, command: &[&str], priority: u32, replaces: Option<&str>| {
        let mut p = SupervisorProgram::new(name, command.iter().copied());
        p.priority = Some(priority);
        p.replaces_unit = replaces.map(str::to_owned);
        p
    };
    let mut redis = program(
        "redis",
        &[
            "/usr/bin/redis-server",
            "/etc/redis/redis.conf",
            "--daemonize",
            "no",
            "--supervised",
            "no",
            "--appendonly",
            "yes",
            "--appendfsync",
            "everysec",
        ],
        10,
        Some("redis-server.service"),
    );
    redis.user = Some("redis".into());
    let mut influxdb = program(
        "influxdb",
        &["/usr/bin/influxd", "-config", "/etc/influxdb/influxdb.conf"],
        10,
        Some("influxdb.service"),
    );
    influxdb.user = Some("influxdb".into());
    // Whatever PHP the distribution ships (8.3 on Ubuntu 24.04, 8.2 on Debian 12): its php-fpm
    // binary with a pool of our own on a socket of our own, so nothing names the version.
    let php_fpm = program(
        "php-fpm",
        &[
            "/bin/sh",
            "-c",
            &format!(
                "mkdir -p /run/php && for f in /usr/sbin/php-fpm[0-9]*; do fpm=$f; done && exec \"$fpm\" --nodaemonize --fpm-config {FPM_CONFIG}"
            ),
        ],
        20,
        Some("php*-fpm.service"),
    );
    let nginx = program("nginx", &["/usr/sbin/nginx", "-g", "daemon off;"], 30, Some("nginx.service"));
    let worker_path = format!("{}/{}", app.dir, app.worker);
    let mut worker = program("daemon", &["/usr/bin/node", &worker_path], 40, None);
    worker.directory = worker_path.rsplit_once('/').map(|(d, _)| d.to_owned());
    worker.user = Some("www-data".into());
    let collectd = program(
        "collectd",
        &["/usr/sbin/collectd", "-f", "-C", "/etc/collectd/collectd.conf"],
        50,
        Some("collectd.service"),
    );

    let mut rules = vec![
        FirewallRule::tcp(22, cfg.firewall.ssh_cidrs.clone(), "SSH"),
        FirewallRule::tcp(80, cfg.firewall.http_cidrs.clone(), "HTTP: the postback endpoint"),
    ];
    for port in &cfg.firewall.monitoring_ports {
        rules.push(FirewallRule::tcp(*port, cfg.firewall.admin_cidrs.clone(), "InfluxDB, from the admin range only"));
    }

    let mut deploy = SystemdUnit::new("postback-code.service", "Clone the Postback app and install its dependencies")
        .of_type(ServiceType::Oneshot)
        .exec([DEPLOY])
        .after_unit("network-online.target", true);
    deploy.remain_after_exit = true;
    deploy.before = vec!["supervisor.service".into()];
    deploy.timeout_stop_seconds = None;

    HostConfig {
        name: format!("postback-{env}"),
        packages: app.packages.clone(),
        files: vec![
            HostFile { path: DEPLOY.into(), mode: 0o755, content: deploy_script(app) },
            HostFile { path: FPM_CONFIG.into(), mode: 0o644, content: FPM_POOL.into() },
            HostFile {
                path: "/etc/influxdb/influxdb.conf".into(),
                mode: 0o644,
                content: influxdb_conf(&cfg.monitoring, "127.0.0.1"),
            },
            HostFile {
                path: "/etc/collectd/collectd.conf".into(),
                mode: 0o644,
                content: collectd_conf(&cfg.monitoring, "127.0.0.1", "127.0.0.1"),
            },
        ],
        swap: Some(Swap {
            path: "/swapfile".into(),
            size_mib: cfg.swap.size_mib,
            swappiness: Some(cfg.swap.swappiness),
            vfs_cache_pressure: Some(cfg.swap.vfs_cache_pressure),
        }),
        firewall: Some(Firewall { rules }),
        units: vec![deploy],
        supervisor: vec![redis, influxdb, php_fpm, nginx, worker, collectd],
        nginx_sites: vec![NginxSite {
            name: "postback".into(),
            server_names: Vec::new(),
            listen: 80,
            default_server: true,
            root: Some(format!("{}/php", app.dir)),
            index: vec!["index.php".into(), "index.html".into()],
            locations: vec![
                NginxLocation {
                    path: "~ \\.php$".into(),
                    action: LocationAction::PhpFpm { socket: FPM_SOCKET.into() },
                },
                NginxLocation {
                    path: "= /nginx_status".into(),
                    action: LocationAction::StubStatus { allow: vec!["127.0.0.1".into()] },
                },
                NginxLocation {
                    path: "/".into(),
                    action: LocationAction::TryFiles(vec![
                        "$uri".into(),
                        "$uri/".into(),
                        "/index.php?_url=$uri&$args".into(),
                    ]),
                },
            ],
        }],
        ..HostConfig::default()
    }
}

/// Builds the stack for `env` from `source`.
pub fn build(env: &str, source: &ConfigSource) -> Result<Stack, StackError> {
    let cfg: Config = source.parse()?;
    let mut stack = StackBuilder::new("postback", env);
    stack.tag("app", "postback");
    let host = host_config(env, &cfg);
    stack.app(app(&cfg));
    match (&cfg.aws, &cfg.digitalocean) {
        (Some(aws), None) => on_aws(&mut stack, &cfg, aws, host),
        (None, Some(d)) => on_digitalocean(&mut stack, &cfg, d, host),
        _ => {
            return Err(source.value_error(
                "aws / digitalocean",
                "give exactly one of `[aws]` (an EC2 host) or `[digitalocean]` (a droplet)",
            ));
        }
    }
    Ok(stack.build()?)
}

/// The droplet of the guide, with a cloud firewall that admits what the host firewall admits.
fn on_digitalocean(stack: &mut StackBuilder, cfg: &Config, d: &DigitalOceanConfig, host: HostConfig) {
    stack.description(
        "Postback on a DigitalOcean droplet: supervisor-run nginx, php-fpm, Redis, Node worker, InfluxDB, collectd",
    );
    let anywhere = || vec!["0.0.0.0/0".to_owned(), "::/0".to_owned()];
    let or_anywhere = |v: &[String]| if v.is_empty() { anywhere() } else { v.to_vec() };
    let mut inbound = vec![
        DoFirewallRule {
            protocol: FirewallProtocol::Tcp,
            ports: "22".into(),
            addresses: or_anywhere(&cfg.firewall.ssh_cidrs),
        },
        DoFirewallRule {
            protocol: FirewallProtocol::Tcp,
            ports: "80".into(),
            addresses: or_anywhere(&cfg.firewall.http_cidrs),
        },
    ];
    for port in &cfg.firewall.monitoring_ports {
        inbound.push(DoFirewallRule {
            protocol: FirewallProtocol::Tcp,
            ports: port.to_string(),
            addresses: cfg.firewall.admin_cidrs.clone(),
        });
    }
    let outbound = [FirewallProtocol::Tcp, FirewallProtocol::Udp]
        .into_iter()
        .map(|protocol| DoFirewallRule { protocol, ports: "1-65535".into(), addresses: anywhere() })
        .collect();
    let name = format!("{}-{}", stack.name(), stack.env());
    let droplet = stack.add(
        "Droplet",
        Droplet {
            name: name.clone(),
            region: d.region.clone(),
            size: d.size.clone(),
            image: d.image.clone(),
            ssh_keys: d.ssh_keys.clone(),
            monitoring: true,
            backups: d.backups,
            ipv6: true,
            user_data: Some(host),
        },
    );
    stack.add_with("Firewall", DoFirewall { name, droplet_ids: vec![droplet.droplet_id()], inbound, outbound }, |e| {
        e.suppressions.push(suppress(
            "CKV_DIO_4",
            "the guide's host serves HTTP (80) and SSH (22) to everyone; the monitoring ports admit only the admin range",
        ));
    });
    stack.output("DropletId", "The Postback droplet", droplet.droplet_id());
}

/// The same host on EC2: a private instance whose security group mirrors the firewall (HTTP and
/// SSH only from the given ranges: a host in a private subnet is published through a load
/// balancer, never by opening its group to the internet).
fn on_aws(stack: &mut StackBuilder, cfg: &Config, aws: &AwsConfig, host: HostConfig) {
    stack
        .description("Postback on one EC2 host: supervisor-run nginx, php-fpm, Redis, Node worker, InfluxDB, collectd");
    let network =
        Network::create(stack, &NetworkProps { cidr: aws.cidr, zones: 2, subnet_prefix: 20, nat_per_zone: false });
    let ami = stack.parameter(
        "HostImageId",
        Parameter {
            kind: ParamKind::ImageId,
            description: "Ubuntu 24.04 AMI of the Postback host".into(),
            default: aws.ami_id.clone(),
        },
    );
    let vpc_range = aws.cidr.to_string();
    let or_vpc = |v: &[String]| if v.is_empty() { vec![vpc_range.clone()] } else { v.to_vec() };
    let instance = Host::create(
        stack,
        HostProps {
            name: "App",
            network: &network,
            image_id: ami.value(),
            instance_type: aws.instance_type.clone(),
            host,
            admin_cidrs: or_vpc(&cfg.firewall.ssh_cidrs),
            root_volume: RootVolume::gp3("/dev/sda1", aws.root_volume_gib),
            statements: Vec::new(),
            internet_egress_ports: vec![80, 443],
            vpc_egress_ports: Vec::new(),
            data_volume: Some(data_volume(aws)),
        },
    );
    stack.configure(&instance.instance, |e| {
        e.suppressions.push(suppress(
            "CKV_AWS_46",
            "the user data holds no secret; the scanner takes the app's git commit id and a directory path for keys",
        ));
    });
    let mut n = 0;
    let mut admit = |stack: &mut StackBuilder, port: u16, cidr: &str, why: &str| {
        n += 1;
        stack.add(
            &format!("AppIngress{n}"),
            SecurityGroupIngress {
                group_id: instance.security_group.group_id(),
                rule: Rule::tcp(port, Peer::Cidr(cidr.into()), why),
            },
        );
    };
    for cidr in or_vpc(&cfg.firewall.http_cidrs) {
        admit(stack, 80, &cidr, "HTTP: the postback endpoint");
    }
    for port in &cfg.firewall.monitoring_ports {
        for cidr in &cfg.firewall.admin_cidrs {
            admit(stack, *port, cidr, "InfluxDB, from the admin range only");
        }
    }
    stack.output("InstanceId", "The Postback host", instance.instance.instance_id());
    stack.output("PrivateIp", "Its address inside the VPC", instance.instance.private_ip());
}

/// Where the host's data volume is mounted.
const DATA_DIR: &str = "/srv/postback-data";

/// The data volume of the EC2 host: Redis' append-only file and InfluxDB's data, the only state
/// on the host (the code is cloned from git at boot), bind-mounted at the paths the packages use,
/// so supervisor (which runs both) starts only with them mounted. On DigitalOcean they stay on the
/// droplet's disk (its weekly backups).
fn data_volume(aws: &AwsConfig) -> DataVolumeProps {
    DataVolumeProps {
        binds: vec![
            DataBind { source: "redis".into(), target: "/var/lib/redis".into(), owner: "redis:redis".into() },
            DataBind {
                source: "influxdb".into(),
                target: "/var/lib/influxdb".into(),
                owner: "influxdb:influxdb".into(),
            },
        ],
        required_by: vec!["supervisor.service".into()],
        ..DataVolumeProps::ext4(aws.data_volume_gib, DATA_DIR)
    }
}

/// Pinned images of the compose app. php-fpm's minor version is the config's `php_version`.
const NGINX_IMAGE: &str = "nginx:1.27.3";
const PHP_FPM_PATCH: &str = "14";
const REDIS_IMAGE: &str = "redis:7.4.1";
const NODE_IMAGE: &str = "node:22.11.0-bookworm-slim";
const INFLUXDB_IMAGE: &str = "influxdb:1.11.8";
const COMPOSER_IMAGE: &str = "composer:2.8.3";
/// collectd has no official image: Debian's package, installed when the container starts.
const COLLECTD_IMAGE: &str = "debian:12.8-slim";
/// 127.0.0.1:6379 -> redis:6379, for the worker that only looks on its own host.
const REDIS_FORWARDER: &str = "require('net').createServer(c => { const s = require('net').connect(6379, 'redis'); \
     c.pipe(s).pipe(c); c.on('error', () => s.destroy()); s.on('error', () => c.destroy()); }).listen(6379, '127.0.0.1')";

/// Where collectd shares its `types.db` with InfluxDB.
const TYPES_DIR: &str = "/usr/share/collectd";

/// The nginx site of the compose app: the host's site with PHP sent to the `php-fpm` service
/// over TCP and the status page open to the compose network (collectd).
fn compose_nginx_site(app: &AppConfig) -> String {
    format!(
        r"# The Postback site (compose): PHP to the php-fpm service, status for collectd.
server {{
    listen 80 default_server;
    root {dir}/php;
    index index.php index.html;

    location ~ \.php$ {{
        try_files $uri =404;
        include fastcgi_params;
        fastcgi_param SCRIPT_FILENAME $document_root$fastcgi_script_name;
        fastcgi_pass php-fpm:9000;
    }}

    location = /nginx_status {{
        stub_status;
        access_log off;
        allow 127.0.0.1;
        allow 10.0.0.0/8;
        allow 172.16.0.0/12;
        allow 192.168.0.0/16;
        deny all;
    }}

    location / {{
        try_files $uri $uri/ /index.php?_url=$uri&$args;
    }}
}}
",
        dir = app.dir
    )
}

/// `sh -c` that writes variable `var` to `path`, then runs `exec`.
fn write_then(var: &str, path: &str, exec: &str) -> Vec<String> {
    vec!["/bin/sh".into(), "-c".into(), format!("printf '%s' \"${var}\" > {path} && exec {exec}")]
}

fn health(command: &[&str], start_period_seconds: u32) -> ContainerHealth {
    ContainerHealth {
        command: command.iter().map(|s| (*s).to_owned()).collect(),
        interval_seconds: 10,
        timeout_seconds: 5,
        retries: 5,
        start_period_seconds,
    }
}

/// The host's daemons as a compose app (see the module docs).
fn app(cfg: &Config) -> App {
    let a = &cfg.app;
    let m = &cfg.monitoring;
    let dir = a.dir.as_str();
    let (worker_dir, worker_file) = a.worker.rsplit_once('/').unwrap_or((".", a.worker.as_str()));
    let code = Container::new("code", COMPOSER_IMAGE)
        .with_command([
            "/bin/sh".to_owned(),
            "-c".to_owned(),
            format!(
                "set -eu; [ -d '{dir}/.git' ] || git clone '{repo}' '{dir}'; git -C '{dir}' fetch --quiet origin; \
                 git -C '{dir}' checkout --quiet '{rev}'; cd '{dir}/php'; composer install --no-dev --no-interaction; \
                 printf '%s\\n' \"<?php define('REDIS_IP', 'redis');\" > config.php",
                repo = a.repository,
                rev = a.revision,
            ),
        ])
        .with_mount("code", dir, false);
    let code = Container { restart: iac_core::app::Restart::No, ..code };
    let php_fpm = Container::new("php-fpm", &format!("php:{}.{PHP_FPM_PATCH}-fpm", a.php_version))
        .with_env("PHP_INI", PHP_INI)
        .with_command(write_then("PHP_INI", "/usr/local/etc/php/conf.d/99-postback.ini", "php-fpm"))
        .with_mount("code", dir, false);
    let nginx = Container::new("nginx", NGINX_IMAGE)
        .with_port(80, 80)
        .with_env("NGINX_SITE", compose_nginx_site(a))
        .with_command(write_then("NGINX_SITE", "/etc/nginx/conf.d/default.conf", "nginx -g 'daemon off;'"))
        .with_mount("code", dir, true)
        .with_health(health(&["CMD", "curl", "-fsS", "http://127.0.0.1/nginx_status"], 10));
    let redis = Container::new("redis", REDIS_IMAGE)
        .with_command(["redis-server", "--appendonly", "yes", "--appendfsync", "everysec"])
        .with_mount("redis-data", "/data", false)
        .with_health(health(&["CMD", "redis-cli", "ping"], 5));
    let worker = Container::new("worker", NODE_IMAGE)
        .with_command([
            "/bin/sh".to_owned(),
            "-c".to_owned(),
            // The worker connects to Redis at 127.0.0.1:6379 (`redis.createClient()`, no setting):
            // a forwarder in its container takes that port to the `redis` service.
            format!(
                "cd '{dir}/{worker_dir}' && npm install --omit=dev && {{ node -e \"{REDIS_FORWARDER}\" & }} \
                 && exec node '{worker_file}'"
            ),
        ])
        .with_mount("code", dir, false);
    let influxdb = Container::new("influxdb", INFLUXDB_IMAGE)
        .with_port(8086, 8086)
        .with_udp_port(m.collectd_port, m.collectd_port)
        .with_env("INFLUXDB_CONF", influxdb_conf(m, "").replace("run by supervisor", "a compose service"))
        .with_command(write_then(
            "INFLUXDB_CONF",
            "/etc/influxdb/influxdb.conf",
            "influxd -config /etc/influxdb/influxdb.conf",
        ))
        .with_mount("influxdb-data", "/var/lib/influxdb", false)
        .with_mount("collectd-types", TYPES_DIR, true)
        .with_health(health(&["CMD", "curl", "-fsS", "http://127.0.0.1:8086/ping"], 10));
    let collectd = Container::new("collectd", COLLECTD_IMAGE)
        .with_env(
            "COLLECTD_CONF",
            collectd_conf(m, "influxdb", "nginx").replace("run by supervisor", "a compose service"),
        )
        .with_command([
            "/bin/sh".to_owned(),
            "-c".to_owned(),
            "apt-get update -qq && apt-get install -y -qq --no-install-recommends collectd-core libcurl4 \
             && printf '%s' \"$COLLECTD_CONF\" > /etc/collectd/collectd.conf \
             && exec collectd -f -C /etc/collectd/collectd.conf"
                .to_owned(),
        ])
        .with_mount("collectd-types", TYPES_DIR, false)
        .with_health(health(&["CMD-SHELL", "test -s /usr/share/collectd/types.db && kill -0 1"], 180));
    App::new("postback")
        .platforms(&[Platform::Compose])
        .volume(Volume::new("code", 1))
        .volume(Volume::new("redis-data", 1))
        .volume(Volume::new("influxdb-data", 5))
        .volume(Volume::new("collectd-types", 1))
        .service(Service::new(code))
        .service(Service::new(php_fpm).depends_on("code", Condition::CompletedSuccessfully))
        .service(
            Service::new(nginx)
                .depends_on("code", Condition::CompletedSuccessfully)
                .depends_on("php-fpm", Condition::Started),
        )
        .service(Service::new(redis))
        .service(
            Service::new(worker)
                .depends_on("code", Condition::CompletedSuccessfully)
                .depends_on("redis", Condition::Healthy),
        )
        .service(Service::new(collectd).depends_on("nginx", Condition::Healthy))
        .service(Service::new(influxdb).depends_on("collectd", Condition::Healthy))
}
