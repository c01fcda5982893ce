//! The escape hatch: raw resources and per-backend overrides reach the output as given.

use iac_core::model::{InternetGateway, Override, RawResource, Vpc};
use iac_core::stack::StackBuilder;
use iac_render::{Format, Target, cloudformation, render_target};
use serde_json::json;

#[test]
fn raw_resources_and_overrides_are_emitted_as_given() {
    let mut s = StackBuilder::new("demo", "dev");
    s.add_with(
        "Vpc",
        Vpc { cidr_block: "10.0.0.0/16".into(), enable_dns_hostnames: true, enable_dns_support: true },
        |e| {
            e.overrides.push(Override::cloudformation("InstanceTenancy", json!("dedicated")));
            e.overrides.push(Override::cloudformation("EnableDnsSupport", json!(null)));
            e.overrides.push(Override::terraform("instance_tenancy", json!("dedicated")));
        },
    );
    s.add("Igw", InternetGateway {});
    s.add(
        "Topic",
        RawResource {
            cloudformation: Some((
                "AWS::SNS::Topic".into(),
                json!({ "TopicName": "alerts", "KmsMasterKeyId": "alias/aws/sns" }),
            )),
            terraform: Some((
                "aws_sns_topic".into(),
                json!({ "name": "alerts", "kms_master_key_id": "alias/aws/sns" }),
            )),
        },
    );
    let stack = s.build().unwrap();
    let t = cloudformation::template(&stack).unwrap();
    let vpc = &t["Resources"]["Vpc"]["Properties"];
    assert_eq!(vpc["InstanceTenancy"], "dedicated");
    assert!(vpc.get("EnableDnsSupport").is_none(), "a null override removes the property");
    assert_eq!(
        t["Resources"]["Topic"],
        json!({ "Type": "AWS::SNS::Topic", "Properties": { "TopicName": "alerts", "KmsMasterKeyId": "alias/aws/sns" } })
    );

    let files = render_target(&stack, Target::Terraform, Format::Json).unwrap().files;
    let main = &files[0].contents;
    assert!(main.contains("instance_tenancy = \"dedicated\""), "{main}");
    assert!(main.contains("resource \"aws_sns_topic\" \"topic\""), "{main}");
}

#[test]
fn a_raw_resource_without_a_form_for_the_target_is_a_clear_error() {
    let mut s = StackBuilder::new("demo", "dev");
    s.add(
        "Topic",
        RawResource { cloudformation: None, terraform: Some(("aws_sns_topic".into(), json!({ "name": "x" }))) },
    );
    let err = cloudformation::render(&s.build().unwrap(), Format::Json).unwrap_err().to_string();
    assert!(err.contains("stack `demo` resource `Topic`") && err.contains("no CloudFormation form"), "{err}");
}
