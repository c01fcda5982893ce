//! A stack with an app and nothing else, for the compose and Kubernetes renderers and the synth
//! CLI (a user's own registry): shaped like Ichnaea's local development, with no AWS resources at
//! all, so no value needs a per-platform stand-in and only the `compose` and `k8s` targets apply.
//! The seed stacks' apps (Concerto's and Ichnaea's, beside their AWS resources) are in the
//! registry and covered with it.

use iac_core::Stack;
use iac_core::app::{Container, ContainerHealth};
use iac_core::stack::StackBuilder;
use iac_core::value::SecretRef;
use iac_core::workload::{App, Condition, Ingress, ScheduledJob, Service, Volume};

fn health(command: &[&str], interval: u32, start: u32) -> ContainerHealth {
    ContainerHealth {
        command: command.iter().map(|s| (*s).to_owned()).collect(),
        interval_seconds: interval,
        timeout_seconds: 5,
        retries: 3,
        start_period_seconds: start,
    }
}

/// Ichnaea for local development as an app-only stack: one image in three roles (web, worker,
/// scheduler), MySQL and Redis containers, the `GeoIP` database on a read-only volume, map tiles
/// on a schedule, a health command (not an HTTP probe) on the web role. No AWS resources.
pub fn ichnaea_local() -> Stack {
    let mut stack = StackBuilder::new("ichnaea", "local");
    stack.description("Ichnaea local development: web, worker, scheduler, MySQL, Redis");
    let db_password = SecretRef::ssm("/ichnaea/local/db-password");
    let role = |name: &str| {
        Container::new(name, "mozilla/location:2.2.0")
            .with_command([name])
            .with_env("DB_HOST", "mysql")
            .with_env("DB_USER", "location")
            .with_env("DB_PASSWORD", db_password.clone())
            .with_env("REDIS_HOST", "redis")
            .with_env("GEOIP_PATH", "/app/geoip/GeoLite2-City.mmdb")
            .with_env("SECRET_KEY", SecretRef::ssm("/ichnaea/local/secret-key"))
            .with_mount("geoip", "/app/geoip", true)
    };
    let deps = |s: Service| s.depends_on("mysql", Condition::Healthy).depends_on("redis", Condition::Healthy);
    let mysql = Container::new("mysql", "mysql:5.7.44")
        .with_env("MYSQL_DATABASE", "location")
        .with_env("MYSQL_USER", "location")
        .with_env("MYSQL_PASSWORD", db_password.clone())
        .with_env("MYSQL_RANDOM_ROOT_PASSWORD", "yes")
        .with_command(["--character-set-server=utf8", "--collation-server=utf8_general_ci"])
        .with_mount("mysql-data", "/var/lib/mysql", false)
        .with_health(health(&["CMD", "mysqladmin", "ping", "--host=127.0.0.1", "--silent"], 10, 30));
    let redis = Container::new("redis", "redis:7.4.1")
        .with_command(["redis-server", "--appendonly", "yes"])
        .with_mount("redis-data", "/data", false)
        .with_health(health(&["CMD", "redis-cli", "ping"], 10, 5));
    stack.app(
        App::new("ichnaea")
            .secret("DB_PASSWORD", db_password.clone())
            .volume(Volume::shared("geoip", 1))
            .volume(Volume::new("mysql-data", 10))
            .volume(Volume::new("redis-data", 1))
            .service(deps(
                Service::new(role("web").with_port(8000, 8000).with_health(health(
                    &["CMD-SHELL", "curl -fsS http://localhost:8000/__lbheartbeat__"],
                    10,
                    20,
                )))
                .replicas(3)
                .http_probe("/__lbheartbeat__", 8000)
                .run_as_user(10001)
                .ingress(Ingress::new(["location.example.org"], 8000)),
            ))
            .service(deps(Service::new(role("worker")).replicas(2).run_as_user(10001)))
            .service(deps(Service::new(role("scheduler")).run_as_user(10001)))
            .service(Service::backing(mysql))
            .service(Service::backing(redis))
            .job(ScheduledJob::new("map", "0 */6 * * *", "worker", ["map"])),
    );
    stack.build().expect("the Ichnaea local stack builds")
}

/// The test stacks with apps.
pub fn stacks() -> Vec<Stack> {
    vec![ichnaea_local()]
}
