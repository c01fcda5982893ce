//! Build hygiene: the synth path never compiles an aws-sdk crate.

use std::process::Command;

#[test]
fn synth_and_the_pure_crates_depend_on_no_aws_sdk() {
    for package in ["stacks", "iac-core", "iac-render"] {
        let out = Command::new(env!("CARGO"))
            .args(["tree", "--offline", "--edges", "normal", "--prefix", "none", "--package", package])
            .current_dir(tests::workspace_root())
            .output()
            .expect("cargo tree runs");
        assert!(out.status.success(), "cargo tree failed: {}", String::from_utf8_lossy(&out.stderr));
        let tree = String::from_utf8_lossy(&out.stdout);
        let sdk: Vec<&str> = tree.lines().filter(|l| l.starts_with("aws-") || l.starts_with("tokio ")).collect();
        assert!(sdk.is_empty(), "{package} pulls in {sdk:?}");
        assert!(tree.lines().count() > 5, "suspiciously small tree for {package}:\n{tree}");
    }
}
