//! The `synth` binary as a user runs it.

use std::path::Path;
use std::process::Command;

fn synth(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_synth")).args(args).output().expect("synth runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn lists_stacks_and_envs() {
    let (ok, out, _) = synth(&["--list"]);
    assert!(ok);
    assert!(out.contains("aquamark") && out.contains("dev, prod"), "{out}");
}

#[test]
fn single_file_target_prints_to_stdout() {
    let (ok, out, err) = synth(&["aquamark", "--env", "prod", "--target", "cloudformation"]);
    assert!(ok, "{err}");
    let doc: serde_json::Value = serde_json::from_str(&out).expect("JSON template on stdout");
    assert_eq!(doc["Resources"]["DatabaseInstance"]["DeletionPolicy"], "Snapshot");
}

#[test]
fn writes_every_target_into_out() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_str().unwrap();
    let (ok, _, err) = synth(&["aquamark", "--env", "dev", "--target", "all", "--out", out, "--format", "yaml"]);
    assert!(ok, "{err}");
    for f in [
        "cloudformation/aquamark.template.yaml",
        "terraform/main.tf",
        "terraform/variables.tf",
        "terraform/outputs.tf",
        "userdata/web-launch-template.yaml",
        "userdata/daemons-instance.yaml",
        "packer/aq-web.pkr.hcl",
        "packer/aq-web.sh",
    ] {
        assert!(dir.path().join(f).is_file(), "{f} missing; stderr: {err}");
    }
    assert!(err.contains("resources") && err.contains("files"), "{err}");
    let leftovers: Vec<_> = walk(dir.path()).into_iter().filter(|p| p.ends_with(".iac-tmp")).collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn a_digitalocean_stack_renders_without_cloudformation() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_str().unwrap();
    let (ok, _, err) = synth(&["postback", "--env", "do", "--target", "all", "--out", out]);
    assert!(ok, "{err}");
    assert!(
        dir.path().join("terraform/main.tf").is_file() && dir.path().join("userdata/droplet.yaml").is_file(),
        "{err}"
    );
    assert!(!dir.path().join("cloudformation").exists(), "CloudFormation is left out of `all` for a droplet");

    let (ok, _, err) = synth(&["postback", "--env", "do", "--target", "cloudformation"]);
    assert!(!ok);
    assert!(err.contains("postback") && err.contains("outside AWS") && err.contains("--target terraform"), "{err}");

    let (ok, out, _) = synth(&["--list"]);
    assert!(ok && out.contains("viewbovis") && out.contains("aws, do"), "{out}");
}

fn walk(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p.display().to_string());
        }
    }
    out
}

#[test]
fn unknown_stack_and_env_list_the_valid_ones() {
    let (ok, _, err) = synth(&["nope", "--env", "prod"]);
    assert!(!ok);
    assert!(err.contains("unknown stack `nope`") && err.contains("aquamark"), "{err}");
    let (ok, _, err) = synth(&["aquamark", "--env", "staging"]);
    assert!(!ok);
    assert!(err.contains("no environment `staging`") && err.contains("dev, prod"), "{err}");
}

#[test]
fn config_typo_names_file_line_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let prod =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("config/aquamark/prod.toml")).unwrap();
    let broken = prod.replace("instance_class = \"db.t4g.medium\"", "instance_clas = \"db.t4g.medium\"");
    assert_ne!(prod, broken);
    let line = broken.lines().position(|l| l.starts_with("instance_clas ")).unwrap() + 1;
    let file = dir.path().join("prod.toml");
    std::fs::write(&file, broken).unwrap();
    let out = dir.path().join("out");
    let (ok, _, err) =
        synth(&["aquamark", "--env", "prod", "--config", file.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert!(!ok);
    assert!(err.contains(&format!("prod.toml:{line}:")), "{err}");
    assert!(err.contains("instance_clas"), "{err}");
    assert!(!out.exists(), "nothing may be written for a bad config");
}

#[test]
fn invalid_stack_writes_nothing_and_prints_every_problem() {
    let dir = tempfile::tempdir().unwrap();
    let prod =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("config/aquamark/prod.toml")).unwrap();
    let broken = prod
        .replace("image = \"vpac/aquamark:1.0.1\"", "image = \"vpac/aquamark:latest\"")
        .replace("desired_capacity = 2", "desired_capacity = 9")
        .replace("backup_retention_days = 7 ", "backup_retention_days = 0 ");
    let file = dir.path().join("prod.toml");
    std::fs::write(&file, broken).unwrap();
    let out = dir.path().join("out");
    let (ok, _, err) =
        synth(&["aquamark", "--env", "prod", "--config", file.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert!(!ok);
    for needle in [
        "aquamark/WebLaunchTemplate/UserData.Containers[0].Image",
        "aquamark/DaemonsInstance/UserData.Containers[0].Image",
        "aquamark/WebAutoScalingGroup/DesiredCapacity",
        "aquamark/DatabaseInstance/BackupRetentionPeriod",
        "hint:",
    ] {
        assert!(err.contains(needle), "`{needle}` missing from:\n{err}");
    }
    assert!(!out.exists(), "nothing may be written for an invalid stack");
}

#[test]
fn help_teaches() {
    let (ok, out, _) = synth(&["--help"]);
    assert!(ok);
    assert!(out.contains("Examples:") && out.contains("--target"), "{out}");
    assert!(out.contains("graph") && out.contains("--target graph --out out/"), "{out}");
}

#[test]
fn deploys_into_an_existing_vpc() {
    let dir = tempfile::tempdir().unwrap();
    let prod =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("config/aquamark/prod.toml")).unwrap();
    let existing = prod
        .replace("cidr = \"10.20.0.0/16\"\nzones = 2\nnat_per_zone = true\n", "")
        .replace("local_subnet_cidr = \"10.20.0.0/20\"", "local_subnet_cidr = \"172.31.0.0/20\"")
        .replace(
            "[app]",
            "[network.existing]\nvpc_id = \"vpc-0123456789abcdef0\"\ncidr = \"172.31.0.0/16\"\n\
             public_subnet_ids = [\"subnet-0aaa\", \"subnet-0bbb\"]\nprivate_subnet_ids = [\"subnet-0ccc\", \"subnet-0ddd\"]\n\n[app]",
        );
    let file = dir.path().join("existing.toml");
    std::fs::write(&file, existing).unwrap();
    let (ok, out, err) =
        synth(&["aquamark", "--env", "prod", "--config", file.to_str().unwrap(), "--target", "cloudformation"]);
    assert!(ok, "{err}");
    let t: serde_json::Value = serde_json::from_str(&out).unwrap();
    let r = t["Resources"].as_object().unwrap();
    assert!(
        !r.values().any(|v| v["Type"] == "AWS::EC2::VPC" || v["Type"] == "AWS::EC2::Subnet"),
        "no network is created"
    );
    assert_eq!(
        r["WebAutoScalingGroup"]["Properties"]["VPCZoneIdentifier"],
        serde_json::json!(["subnet-0ccc", "subnet-0ddd"])
    );
    assert_eq!(r["WebLoadBalancer"]["Properties"]["Subnets"], serde_json::json!(["subnet-0aaa", "subnet-0bbb"]));
    assert_eq!(r["DatabaseSecurityGroup"]["Properties"]["VpcId"], "vpc-0123456789abcdef0");
    let ingress = r["WebInstanceSecurityGroup"]["Properties"]["SecurityGroupIngress"].as_array().unwrap();
    assert!(ingress.iter().any(|rule| rule["CidrIp"] == "172.31.0.0/20" && rule["FromPort"] == 22), "{ingress:?}");

    // Giving both a new range and an existing VPC is refused with the field named.
    let both = std::fs::read_to_string(&file).unwrap().replace("[network]\n", "[network]\ncidr = \"10.9.0.0/16\"\n");
    std::fs::write(&file, both).unwrap();
    let (ok, _, err) =
        synth(&["aquamark", "--env", "prod", "--config", file.to_str().unwrap(), "--target", "cloudformation"]);
    assert!(!ok);
    assert!(err.contains("existing.toml: field `network`") && err.contains("exactly one"), "{err}");
}

#[test]
fn copies_split_cloudformation_into_nested_stacks_and_only_scale_takes_them() {
    let (ok, _, err) = synth(&["aquamark", "--env", "prod", "--copies", "2"]);
    assert!(!ok);
    assert!(err.contains("stack `aquamark` takes no --copies; only scale does"), "{err}");

    // 7 copies of Ichnaea prod: 560 resources, over CloudFormation's 500: a parent and nested stacks.
    let (ok, _, err) = synth(&["scale", "--env", "prod", "--copies", "7", "--target", "cloudformation"]);
    assert!(!ok, "a split template is several files: stdout cannot take it");
    assert!(err.contains("--out"), "{err}");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_str().unwrap();
    let (ok, _, err) = synth(&["scale", "--env", "prod", "--copies", "7", "--target", "cloudformation", "--out", out]);
    assert!(ok, "{err}");
    assert!(err.contains("560 resources") && err.contains("warning[IAC060]"), "{err}");
    let parent: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("cloudformation/scale.template.json")).unwrap())
            .unwrap();
    let children = parent["Resources"].as_object().unwrap();
    assert!(children.len() >= 2, "{children:?}");
    for (id, child) in children {
        assert_eq!(child["Type"], "AWS::CloudFormation::Stack");
        let path = format!("cloudformation/scale/{id}.template.json");
        assert_eq!(child["Properties"]["TemplateURL"], path.trim_start_matches("cloudformation/"));
        assert!(Path::new(out).join(&path).exists(), "{path} not written");
    }
}

#[test]
fn graph_prints_dot_and_writes_svg_when_graphviz_is_there() {
    let (ok, out, err) = synth(&["aquamark", "--env", "prod", "--target", "graph"]);
    assert!(ok, "{err}");
    assert!(out.contains("digraph \"aquamark-prod\" {") && out.contains("subgraph cluster_"), "{out}");
    assert!(out.contains("\"SiteRecord\" -> \"WebLoadBalancer\" [label=\"DNSName, CanonicalHostedZoneID\"];"), "{out}");

    let dir = tempfile::tempdir().unwrap();
    let (ok, _, err) =
        synth(&["aquamark", "--env", "prod", "--target", "graph", "--out", dir.path().to_str().unwrap()]);
    assert!(ok, "{err}");
    assert_eq!(std::fs::read_to_string(dir.path().join("graph/aquamark.dot")).unwrap(), out);
    let svg = dir.path().join("graph/aquamark.svg");
    let has_dot = Command::new("dot").arg("-V").output().is_ok();
    if has_dot {
        assert!(std::fs::read_to_string(svg).unwrap().contains("<svg"), "{err}");
    } else {
        assert!(!svg.exists() && err.contains("Graphviz's `dot` is not on PATH"), "{err}");
    }

    let (ok, _, err) = synth(&["aquamark", "--env", "prod", "--target", "all", "--out", dir.path().to_str().unwrap()]);
    assert!(ok && !err.contains("graph/"), "`all` does not draw the graph:\n{err}");
}
