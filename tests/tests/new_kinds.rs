//! What the seed stacks do with the alarm, data volume and generated secret kinds: Ichnaea's
//! guide asks to monitor replica lag and the transaction (binary) logs' disk space; Aquamark
//! watches its database's CPU; Ichnaea's `SECRET_KEY` is generated where the stack is deployed;
//! Postback's EC2 host keeps Redis' and InfluxDB's data on a volume that outlives it.

use serde_json::{Value, json};

fn cfn(stack: &str, env: &str) -> Value {
    let stack = stacks::registry().build(stack, env, None).expect("builds");
    let text = iac_render::cloudformation::render(&stack, iac_render::Format::Json).expect("renders");
    serde_json::from_str(&text).expect("JSON")
}

fn terraform(stack: &str, env: &str) -> String {
    let stack = stacks::registry().build(stack, env, None).expect("builds");
    iac_render::terraform::render(&stack).expect("renders").main_tf
}

fn of_type<'a>(t: &'a Value, ty: &'a str) -> Vec<(&'a String, &'a Value)> {
    t["Resources"].as_object().unwrap().iter().filter(|(_, r)| r["Type"] == ty).collect()
}

/// `(metric, dimension value, threshold)` of every alarm, with its actions checked.
fn alarms(t: &Value) -> Vec<(String, Value, f64)> {
    let mut out = Vec::new();
    for (id, a) in of_type(t, "AWS::CloudWatch::Alarm") {
        let p = &a["Properties"];
        assert_eq!(p["AlarmActions"], json!([{ "Ref": "AlarmsTopic" }]), "{id}");
        assert_eq!(p["OKActions"], p["AlarmActions"], "{id}");
        assert_eq!(p["Namespace"], "AWS/RDS", "{id}");
        assert_eq!(p["Dimensions"][0]["Name"], "DBInstanceIdentifier", "{id}");
        out.push((
            p["MetricName"].as_str().unwrap().to_owned(),
            p["Dimensions"][0]["Value"].clone(),
            p["Threshold"].as_f64().unwrap(),
        ));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

fn notified_by_email(t: &Value, address: &str) {
    let subscriptions = of_type(t, "AWS::SNS::Subscription");
    assert_eq!(subscriptions.len(), 1);
    let p = &subscriptions[0].1["Properties"];
    assert_eq!((p["Protocol"].as_str(), p["Endpoint"].as_str()), (Some("email"), Some(address)));
    assert_eq!(p["TopicArn"], json!({ "Ref": "AlarmsTopic" }));
    let topic = &t["Resources"]["AlarmsTopic"]["Properties"];
    assert_eq!(topic["KmsMasterKeyId"], json!({ "Fn::GetAtt": ["AlarmsKey", "Arn"] }));
}

#[test]
fn ichnaea_watches_replica_lag_binary_logs_and_cpu() {
    for env in ["dev", "prod"] {
        let t = cfn("ichnaea", env);
        let gib = 1024.0 * 1024.0 * 1024.0;
        assert_eq!(
            alarms(&t),
            [
                ("BinLogDiskUsage".into(), json!({ "Ref": "DatabaseInstance" }), 10.0 * gib),
                ("CPUUtilization".into(), json!({ "Ref": "DatabaseInstance" }), 80.0),
                ("ReplicaLag".into(), json!({ "Ref": "DatabaseReplica1" }), 30.0),
            ],
            "{env}"
        );
        notified_by_email(&t, "ops@location.example.org");
    }
}

#[test]
fn aquamark_watches_its_database_cpu() {
    for env in ["dev", "prod"] {
        let t = cfn("aquamark", env);
        assert_eq!(alarms(&t), [("CPUUtilization".into(), json!({ "Ref": "DatabaseInstance" }), 80.0)], "{env}");
        notified_by_email(&t, "ops@example.org");
    }
}

#[test]
fn ichnaeas_secret_key_is_generated_and_read_only_through_the_roles() {
    let t = cfn("ichnaea", "prod");
    let secret = &t["Resources"]["SecretKey"];
    assert_eq!(secret["Type"], "AWS::SecretsManager::Secret");
    assert_eq!(secret["DeletionPolicy"], "Retain", "losing it logs every user out");
    assert!(secret["Properties"]["GenerateSecretString"]["PasswordLength"].as_u64() >= Some(32));
    assert!(secret["Properties"].get("SecretString").is_none());
    // Every role may read it, and nothing reads an SSM parameter for it any more.
    let roles = of_type(&t, "AWS::IAM::Role");
    let readers = roles
        .iter()
        .filter(|(_, r)| {
            serde_json::to_string(&r["Properties"]["Policies"]).unwrap().contains(r#"{"Ref":"SecretKey"}"#)
        })
        .count();
    assert_eq!(readers, 4, "web, worker, scheduler and admin");
    // (The roles' SSM permissions are the migration lock's, under /iac/ichnaea/prod/lock/.)
    let text = serde_json::to_string(&t).unwrap();
    assert!(text.contains("parameter/iac/ichnaea/prod/lock/*") && !text.contains("parameter/ichnaea/"));
    let tf = terraform("ichnaea", "prod");
    assert!(tf.contains("data \"aws_secretsmanager_random_password\" \"secret_key\""));
    assert!(tf.contains("resource \"aws_secretsmanager_secret_version\" \"secret_key\""));
}

#[test]
fn postbacks_data_volume_outlives_the_ec2_host() {
    let t = cfn("postback", "aws");
    let volume = &t["Resources"]["AppDataVolume"];
    assert_eq!(
        (volume["DeletionPolicy"].as_str(), volume["UpdateReplacePolicy"].as_str()),
        (Some("Snapshot"), Some("Snapshot"))
    );
    assert_eq!(volume["Properties"]["Size"], 20);
    assert_eq!(
        volume["Properties"]["AvailabilityZone"],
        json!({ "Fn::GetAtt": ["PrivateSubnet1", "AvailabilityZone"] })
    );
    assert_eq!(t["Resources"]["AppInstance"]["Properties"]["SubnetId"], json!({ "Ref": "PrivateSubnet1" }));
    let attachment = &t["Resources"]["AppDataVolumeAttachment"]["Properties"];
    assert_eq!(attachment["InstanceId"], json!({ "Ref": "AppInstance" }));
    let tf = terraform("postback", "aws");
    let volume = &tf[tf.find("resource \"aws_ebs_volume\" \"app_data_volume\"").unwrap()..];
    assert!(volume[..volume.find("\n}\n").unwrap()].contains("prevent_destroy = true"));
    // The droplet keeps its data on its own disk.
    let droplet = stacks::registry().build("postback", "do", None).unwrap();
    assert!(droplet.resources().all(|e| e.resource.spec().kind != "Volume"));
}
