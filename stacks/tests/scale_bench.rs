//! Benchmark, not a timed test: `synth scale --copies N --target all` for N = 1, 10 and 100,
//! each into its own temporary directory, printing resources, files, bytes written, wall time
//! and peak memory (from `/usr/bin/time` when it exists). Run it with the optimised binary:
//!
//! ```sh
//! cargo test -p stacks --release --test scale_bench -- --ignored --nocapture
//! ```

#![allow(clippy::print_stderr)] // the benchmark's report goes to stderr on purpose

use std::path::Path;
use std::process::Command;
use std::time::Instant;

/// Bytes of every file under `dir`.
fn bytes_under(dir: &Path) -> (usize, u64) {
    let mut files = 0;
    let mut bytes = 0;
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("readable output") {
            let entry = entry.expect("an entry");
            let meta = entry.metadata().expect("metadata");
            if meta.is_dir() {
                stack.push(entry.path());
            } else {
                files += 1;
                bytes += meta.len();
            }
        }
    }
    (files, bytes)
}

#[test]
#[ignore = "a benchmark: run with --ignored --nocapture"]
fn synth_scale_all_targets() {
    let synth = env!("CARGO_BIN_EXE_synth");
    let time = Path::new("/usr/bin/time");
    let per_copy = stacks::registry().build(stacks::scale::BASE, "prod", None).expect("builds").resources().len();
    let profile = if cfg!(debug_assertions) { "debug" } else { "release" };
    eprintln!("synth scale --env prod --target all ({profile} build)");
    eprintln!(
        "{:>7} {:>10} {:>6} {:>12} {:>9} {:>13} {:>9}",
        "copies", "resources", "files", "bytes", "wall", "peak RSS", "nested"
    );
    for copies in [1_u32, 10, 100] {
        let dir = tempfile::tempdir().expect("temp dir");
        let out = dir.path().join("out");
        let copies_arg = copies.to_string();
        let args = ["scale", "--env", "prod", "--target", "all", "--copies", &copies_arg, "--out"];
        let mut cmd = if time.exists() {
            let mut c = Command::new(time);
            // The last line of stderr: peak resident set in KB.
            c.args(["-f", "%M"]).arg(synth);
            c
        } else {
            Command::new(synth)
        };
        cmd.args(args).arg(&out);
        let start = Instant::now();
        let output = cmd.output().expect("synth runs");
        let wall = start.elapsed();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "synth failed:\n{stderr}");
        let resources: usize = stderr
            .lines()
            .find_map(|l| l.strip_prefix("synth: scale (prod): "))
            .and_then(|l| l.split(' ').next())
            .and_then(|n| n.parse().ok())
            .expect("synth reports its resources");
        assert_eq!(resources, per_copy * copies as usize, "{per_copy} resources per copy");
        let peak = if time.exists() {
            let kb: u64 = stderr.lines().last().and_then(|l| l.trim().parse().ok()).expect("time -f %M");
            format!("{}.{} MB", kb / 1024, kb % 1024 * 10 / 1024)
        } else {
            "n/a".to_owned()
        };
        let (files, bytes) = bytes_under(&out);
        let nested = std::fs::read_dir(out.join("cloudformation/scale")).map_or(0, Iterator::count);
        eprintln!(
            "{copies:>7} {resources:>10} {files:>6} {bytes:>12} {:>8.2}s {peak:>13} {nested:>9}",
            wall.as_secs_f64()
        );
    }
}
