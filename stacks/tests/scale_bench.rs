//! Benchmark, not a timed test: `synth scale --env prod --copies N --target T` for N = 1, 10, 100
//! and 1000 and T = `cloudformation`, `terraform` and `all`, each run into its own empty
//! temporary directory. It prints, as a markdown table: resources, files and bytes written, wall
//! time (median of the runs), instructions per resource (counted by `valgrind --tool=callgrind`,
//! which does not depend on the machine's load; skipped when valgrind is not installed) and peak
//! RSS (GNU `/usr/bin/time`, the largest of the runs). Run it with the optimised binary:
//!
//! ```sh
//! cargo test -p stacks --release --test scale_bench -- --ignored --nocapture
//! ```
//!
//! Environment (all optional):
//! - `IAC_BENCH_SYNTH`: another `synth` binary to measure (an older build, to compare);
//! - `IAC_BENCH_COPIES`: the Ns, e.g. `"1 10 100"`; `IAC_BENCH_TARGETS`: the targets;
//! - `IAC_BENCH_RUNS`: timed runs per row (default 3);
//! - `IAC_BENCH_CALLGRIND_MAX`: the largest N run under callgrind (default 1000; callgrind runs
//!   the program about 50 times slower).

#![allow(clippy::print_stderr)] // the benchmark's report goes to stderr on purpose

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// Files and bytes under `dir`.
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

fn env_list(name: &str, default: &[&str]) -> Vec<String> {
    std::env::var(name).map_or_else(
        |_| default.iter().map(|s| (*s).to_owned()).collect(),
        |v| v.split([' ', ',']).filter(|s| !s.is_empty()).map(str::to_owned).collect(),
    )
}

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map_or_else(|_| "?".to_owned(), |l| l.split(' ').take(3).collect::<Vec<_>>().join(" "))
}

/// Thousands separated by commas.
fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Kilobytes as megabytes with one decimal.
fn megabytes(kb: u64) -> String {
    format!("{}.{} MB", kb / 1024, kb % 1024 * 10 / 1024)
}

/// One measured row.
struct Row {
    copies: u32,
    target: String,
    resources: u64,
    files: usize,
    bytes: u64,
    wall: Duration,
    instructions: Option<u64>,
    peak_kb: Option<u64>,
}

/// `synth scale --env prod --copies N --target T --out OUT` as arguments.
fn synth_args(copies: u32, target: &str, out: &Path) -> Vec<String> {
    ["scale", "--env", "prod", "--copies", &copies.to_string(), "--target", target, "--out"]
        .iter()
        .map(|s| (*s).to_owned())
        .chain([out.display().to_string()])
        .collect()
}

/// The resources synth reports on stderr.
fn reported_resources(stderr: &str) -> u64 {
    stderr
        .lines()
        .find_map(|l| l.strip_prefix("synth: scale (prod): "))
        .and_then(|l| l.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("synth reports its resources:\n{stderr}"))
}

/// One timed run: resources, files, bytes, wall time, peak RSS in KB.
fn timed_run(synth: &Path, copies: u32, target: &str, time: Option<&Path>) -> (u64, usize, u64, Duration, Option<u64>) {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("out");
    let mut cmd = if let Some(time) = time {
        let mut c = Command::new(time);
        // The last line of stderr: peak resident set in KB.
        c.args(["-f", "%M"]).arg(synth);
        c
    } else {
        Command::new(synth)
    };
    cmd.args(synth_args(copies, target, &out));
    let start = Instant::now();
    let output = cmd.output().expect("synth runs");
    let wall = start.elapsed();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "synth failed:\n{stderr}");
    let peak = time.map(|_| stderr.lines().last().and_then(|l| l.trim().parse().ok()).expect("time -f %M"));
    let (files, bytes) = bytes_under(&out);
    (reported_resources(&stderr), files, bytes, wall, peak)
}

/// Instructions of one run under callgrind.
fn instructions(synth: &Path, copies: u32, target: &str) -> u64 {
    let dir = tempfile::tempdir().expect("temp dir");
    let profile = dir.path().join("callgrind.out");
    let output = Command::new("valgrind")
        .arg("--tool=callgrind")
        .arg(format!("--callgrind-out-file={}", profile.display()))
        .arg(synth)
        .args(synth_args(copies, target, &dir.path().join("out")))
        .output()
        .expect("valgrind runs");
    assert!(output.status.success(), "synth under callgrind failed:\n{}", String::from_utf8_lossy(&output.stderr));
    let text = std::fs::read_to_string(&profile).expect("callgrind output");
    text.lines()
        .find_map(|l| l.strip_prefix("summary:").or_else(|| l.strip_prefix("totals:")))
        .and_then(|n| n.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .expect("callgrind's total")
}

fn median(mut walls: Vec<Duration>) -> Duration {
    walls.sort_unstable();
    walls[walls.len() / 2]
}

#[test]
#[ignore = "a benchmark: run with --ignored --nocapture"]
fn synth_scale() {
    let synth =
        std::env::var_os("IAC_BENCH_SYNTH").map_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_synth")), PathBuf::from);
    let time = Some(Path::new("/usr/bin/time")).filter(|t| t.exists());
    let valgrind = Command::new("valgrind").arg("--version").output().is_ok_and(|o| o.status.success());
    let copies: Vec<u32> = env_list("IAC_BENCH_COPIES", &["1", "10", "100", "1000"])
        .iter()
        .map(|n| n.parse().expect("a number"))
        .collect();
    let targets = env_list("IAC_BENCH_TARGETS", &["cloudformation", "terraform", "all"]);
    let runs = env_number("IAC_BENCH_RUNS", 3).max(1);
    let callgrind_max = env_number("IAC_BENCH_CALLGRIND_MAX", 1000);
    let per_copy =
        stacks::registry().build(stacks::scale::BASE, "prod", None).expect("builds").resources().len() as u64;
    let profile = if cfg!(debug_assertions) { "debug build: run with --release" } else { "release build" };
    let cores = std::thread::available_parallelism().map_or(0, std::num::NonZero::get);
    eprintln!("# {} ({profile}), {cores} cores, load {}", synth.display(), load_average());
    eprintln!(
        "# wall: median of {runs} runs; instructions: {}; peak RSS: {}",
        if valgrind { "valgrind --tool=callgrind" } else { "n/a (valgrind not installed)" },
        if time.is_some() { "/usr/bin/time -f %M" } else { "n/a (no /usr/bin/time)" }
    );
    let mut rows = Vec::new();
    for &n in &copies {
        for target in &targets {
            let mut walls = Vec::new();
            let mut peak: Option<u64> = None;
            let mut last = (0, 0, 0);
            for _ in 0..runs {
                let (resources, files, bytes, wall, kb) = timed_run(&synth, n, target, time);
                assert_eq!(resources, per_copy * u64::from(n), "{per_copy} resources per copy");
                walls.push(wall);
                peak = kb.map(|kb| peak.map_or(kb, |p| p.max(kb)));
                last = (resources, files, bytes);
            }
            let instructions = (valgrind && u64::from(n) <= callgrind_max).then(|| instructions(&synth, n, target));
            let row = Row {
                copies: n,
                target: target.clone(),
                resources: last.0,
                files: last.1,
                bytes: last.2,
                wall: median(walls),
                instructions,
                peak_kb: peak,
            };
            eprintln!(
                "  N={n} {target}: {} resources, {} bytes, {:.3} s, {} instructions per resource, peak {}",
                row.resources,
                row.bytes,
                row.wall.as_secs_f64(),
                row.instructions.map_or_else(|| "n/a".to_owned(), |i| grouped(i / row.resources)),
                row.peak_kb.map_or_else(|| "n/a".to_owned(), megabytes),
            );
            rows.push(row);
        }
    }
    eprintln!("# load at end: {}", load_average());
    eprintln!();
    eprintln!("| copies | target | resources | files | bytes | wall | instructions per resource | peak RSS |");
    eprintln!("|---|---|---|---|---|---|---|---|");
    for r in &rows {
        eprintln!(
            "| {} | {} | {} | {} | {} | {:.3} s | {} | {} |",
            r.copies,
            r.target,
            grouped(r.resources),
            r.files,
            grouped(r.bytes),
            r.wall.as_secs_f64(),
            r.instructions.map_or_else(|| "n/a".to_owned(), |i| grouped(i / r.resources)),
            r.peak_kb.map_or_else(|| "n/a".to_owned(), megabytes),
        );
    }
}
