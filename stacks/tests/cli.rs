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
        "userdata/web-launch-template.sh",
        "userdata/daemons-instance.sh",
    ] {
        assert!(dir.path().join(f).is_file(), "{f} missing; stderr: {err}");
    }
    assert!(err.contains("resources") && err.contains("files"), "{err}");
    let leftovers: Vec<_> = walk(dir.path()).into_iter().filter(|p| p.ends_with(".iac-tmp")).collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
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
}
