//! Embedding the library: a small stack of your own (a private PostgreSQL database and one host
//! that uses it), validated and rendered to CloudFormation and Terraform.
//!
//! Run it with `cargo run -p stacks --example custom_stack`; `cargo test` builds and runs it too.

#![allow(clippy::print_stderr)] // test and example output goes to stderr on purpose

use iac_core::app::{Container, HostConfig};
use iac_core::patterns::{Database, DatabaseProps, Host, HostProps, Network, NetworkProps};
use iac_core::stack::StackBuilder;
use iac_core::validate::validate;
use iac_render::{Format, Target, render_target};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut stack = StackBuilder::new("notes", "dev");
    stack.description("A notes app: one host and its database");
    let network =
        Network::create(&mut stack, &NetworkProps { cidr: "10.40.0.0/16".parse()?, ..NetworkProps::default() });
    let db = Database::create(
        &mut stack,
        DatabaseProps {
            db_name: "notes".into(),
            master_username: "notes".into(),
            ..DatabaseProps::postgres("Db", &network)
        },
    );
    let app = Container::new("notes", "ghcr.io/example/notes:2.3.1")
        .with_env("DATABASE_URL", db.url("postgres"))
        .with_port(80, 8080);
    let mut props = HostProps::new("App", &network, "ami-0123456789abcdef0");
    props.host = HostConfig { docker: true, containers: vec![app], ..props.host };
    props.statements = vec![db.read_secret_statement()];
    props.vpc_egress_ports = vec![db.port];
    let host = Host::create(&mut stack, props);
    db.allow_from(&mut stack, &host);
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
