//! What the SDK engine does not deploy is refused before any change, every such resource listed
//! at once, and parameters are checked as the templates check them.

use std::collections::BTreeMap;

use iac_core::model::{Droplet, RawResource, Vpc};
use iac_core::stack::{ParamKind, Parameter, StackBuilder};

fn vpc(s: &mut StackBuilder) {
    s.add("Vpc", Vpc { cidr_block: "10.0.0.0/16".into(), enable_dns_hostnames: true, enable_dns_support: true });
}

fn droplet(name: &str) -> Droplet {
    Droplet {
        name: name.into(),
        region: "lon1".into(),
        size: "s-1vcpu-1gb".into(),
        image: "debian-12-x64".into(),
        ssh_keys: Vec::new(),
        monitoring: false,
        backups: false,
        ipv6: false,
        user_data: None,
    }
}

#[test]
fn one_unsupported_resource_is_refused_with_its_name_and_reason() {
    let mut s = StackBuilder::new("demo", "dev");
    vpc(&mut s);
    s.add("Box", droplet("box"));
    let err = iac_aws::check_supported(&s.build().unwrap()).unwrap_err().to_string();
    assert!(err.contains("stack `demo` resource `Box`: a DigitalOcean droplet cannot be deployed"), "{err}");
    assert!(err.contains("render the stack to CloudFormation or Terraform"), "{err}");

    let mut s = StackBuilder::new("demo", "dev");
    vpc(&mut s);
    assert!(iac_aws::check_supported(&s.build().unwrap()).is_ok());
}

#[test]
fn every_unsupported_resource_is_listed_at_once() {
    let mut s = StackBuilder::new("demo", "dev");
    vpc(&mut s);
    s.add("Web", droplet("web"));
    s.add("Worker", droplet("worker"));
    s.add(
        "Queue",
        RawResource { cloudformation: Some(("AWS::SQS::Queue".into(), serde_json::json!({}))), terraform: None },
    );
    let err = iac_aws::check_supported(&s.build().unwrap()).unwrap_err().to_string();
    assert!(err.starts_with("stack `demo`: 3 resources cannot be deployed through the SDK engine:"), "{err}");
    for id in ["`Web`", "`Worker`", "`Queue`"] {
        assert!(err.contains(id), "{id} is listed: {err}");
    }
    assert!(err.contains("`deploy --help` lists them"), "{err}");
}

#[test]
fn the_supported_kinds_are_listed_for_help() {
    let help = iac_aws::supported_kinds_help();
    for line in ["  VPC (AWS::EC2::VPC)", "(AWS::RDS::DBInstance)", "(AWS::Route53::RecordSet)"] {
        assert!(help.contains(line), "{line} in:\n{help}");
    }
    assert_eq!(iac_aws::supported_kinds().len(), iac_aws::adapter::SdkKind::ALL.len());
}

#[test]
fn parameters_are_checked_by_name_and_form() {
    let mut s = StackBuilder::new("demo", "dev");
    vpc(&mut s);
    s.parameter("WebImageId", Parameter { kind: ParamKind::ImageId, description: "AMI".into(), default: None });
    s.parameter(
        "CertificateArn",
        Parameter { kind: ParamKind::CertificateArn, description: "certificate".into(), default: None },
    );
    let stack = s.build().unwrap();
    let check = |pairs: &[(&str, &str)]| stack.check_params(pairs.iter().copied()).map_err(|e| e.to_string());
    assert!(check(&[("WebImageId", "ami-0123456789abcdef0")]).is_ok());
    assert!(check(&[("CertificateArn", "arn:aws:acm:eu-west-1:123456789012:certificate/abc-123")]).is_ok());
    let err = check(&[("WebImageId", "not-an-ami"), ("WebImage", "ami-0123456789abcdef0")]).unwrap_err();
    assert!(err.contains("`WebImageId` = `not-an-ami` is not an EC2 image id"), "{err}");
    assert!(err.contains("`WebImage` is not a parameter; this stack takes WebImageId, CertificateArn"), "{err}");
    let err = check(&[("CertificateArn", "arn:aws:iam::123456789012:server-certificate/x")]).unwrap_err();
    assert!(err.contains("is not the ARN of an ACM certificate"), "{err}");
}

#[tokio::test]
async fn the_engine_refuses_wrong_parameters_before_any_call() {
    let mut s = StackBuilder::new("demo", "dev");
    vpc(&mut s);
    s.parameter("WebImageId", Parameter { kind: ParamKind::ImageId, description: "AMI".into(), default: None });
    // No AWS endpoint is contacted: the check happens when the engine is made.
    let clients = iac_aws::Clients::for_endpoint("http://127.0.0.1:9", "eu-west-1").await;
    let options = iac_aws::Options {
        params: BTreeMap::from([("WebImageId".to_owned(), "not-an-ami".to_owned())]),
        ..iac_aws::Options::default()
    };
    let Err(err) = iac_aws::Engine::new(clients, s.build().unwrap(), options) else { panic!("accepted") };
    let err = err.to_string();
    assert!(err.contains("stack `demo`: wrong parameter value(s):"), "{err}");
    assert!(err.contains("`WebImageId` = `not-an-ami`"), "{err}");
}

/// `docs/reference/sdk-kinds.md` is what the engine deploys; `UPDATE_DOCS=1` rewrites it.
#[test]
fn the_sdk_kinds_page_is_current() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/reference/sdk-kinds.md");
    let generated = iac_aws::supported_kinds_reference();
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(&path, &generated).expect("write the page");
        return;
    }
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        current == generated,
        "{} is out of date: run `UPDATE_DOCS=1 cargo test -p iac-aws --features testing --test unsupported` and commit it",
        path.display()
    );
}
