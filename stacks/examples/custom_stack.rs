//! Embedding the library: a small stack of your own (a private PostgreSQL database and one host
//! that uses it), validated and rendered to CloudFormation and Terraform.
//!
//! Run it with `cargo run -p stacks --example custom_stack`; `cargo test` builds and runs it too.

#![allow(clippy::print_stderr)] // test and example output goes to stderr on purpose

use iac_core::app::{Container, HostConfig};
use iac_core::model::{Engine, RootVolume, StackBuilder};
use iac_core::patterns::{Database, DatabaseProps, Host, HostProps, Network, NetworkProps};
use iac_core::validate::validate;
use iac_render::{Format, Target, render_target};
use indexmap::IndexMap;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut stack = StackBuilder::new("notes", "dev");
    stack.description("A notes app: one host and its database");
    let network = Network::create(
        &mut stack,
        &NetworkProps { cidr: "10.40.0.0/16".parse()?, zones: 2, subnet_prefix: 20, nat_per_zone: false },
    );
    let db = Database::create(
        &mut stack,
        DatabaseProps {
            name: "Db",
            network: &network,
            engine: Engine::Postgres,
            engine_version: "17.6".into(),
            family: "postgres17".into(),
            parameters: IndexMap::new(),
            instance_class: "db.t4g.micro".into(),
            allocated_storage_gib: 20,
            max_allocated_storage_gib: None,
            backup_retention_days: 7,
            multi_az: false,
            identifier: None,
            db_name: "notes".into(),
            master_username: "notes".into(),
            monitoring_interval: 60,
        },
    );
    let app = Container::new("notes", "ghcr.io/example/notes:2.3.1")
        .with_env("DATABASE_URL", db.url("postgres"))
        .with_port(80, 8080);
    let host = Host::create(
        &mut stack,
        HostProps {
            name: "App",
            network: &network,
            image_id: "ami-0123456789abcdef0".into(),
            instance_type: "t3.micro".into(),
            host: HostConfig { name: "notes".into(), docker: true, containers: vec![app], ..HostConfig::default() },
            admin_cidrs: vec!["10.40.0.0/20".into()],
            root_volume: RootVolume::gp3("/dev/xvda", 16),
            statements: vec![db.read_secret_statement()],
            internet_egress_ports: vec![443],
            vpc_egress_ports: vec![db.port],
            data_volume: None,
        },
    );
    db.allow_from(&mut stack, "App", host.security_group.group_id());
    stack.output("DbEndpoint", "database endpoint", db.instance.endpoint_address());
    let stack = stack.build()?;

    let problems = validate(&stack);
    for p in &problems {
        eprintln!("{p}");
    }
    let rendered = render_target(&stack, Target::All, Format::Yaml)?;
    for f in &rendered.files {
        eprintln!("{:<40} {:>6} bytes", f.path.display(), f.contents.len());
    }
    assert!(rendered.files.iter().any(|f| f.contents.contains("AWS::RDS::DBInstance")));
    Ok(())
}

#[test]
fn example_runs() {
    main().expect("the example renders");
}
