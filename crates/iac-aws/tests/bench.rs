//! Benchmark, not a timed test: Aquamark prod applied on moto with an injected per-call latency,
//! printing the wall time next to the critical path and the sum of all resources' own times, to
//! show the parallelism. Run it with
//! `cargo test -p iac-aws --test bench -- --ignored --nocapture`.

#![allow(clippy::print_stderr)] // the benchmark prints its table

mod common;

use std::time::Duration;

use common::AquamarkWorld;
use common::faults::Faults;
use iac_aws::{Engine, Options};

#[tokio::test(flavor = "multi_thread", worker_threads = 16)]
#[ignore = "a benchmark: run with --ignored --nocapture"]
async fn apply_parallelism() {
    let Some(moto) = common::Moto::start() else { return };
    eprintln!("| latency per call | concurrency | wall | critical path | sum of resources | SDK calls |");
    eprintln!("|---|---|---|---|---|---|");
    for latency_ms in [0u64, 50] {
        for concurrency in [1usize, 8] {
            moto.reset();
            let setup_clients = moto.clients().await;
            let world = AquamarkWorld::create(&moto, &setup_clients).await;
            let (_latency, interceptor) = Faults::start(0, Duration::from_millis(latency_ms));
            let clients = moto.clients_with(&[interceptor]).await;
            let engine =
                Engine::new(clients, world.stack(|t| t), Options { concurrency, ..world.options() }).expect("engine");
            let plan = engine.plan().await.expect("plan");
            let report = engine.apply(&plan, &|_| {}).await.expect("apply");
            let (critical, path) = engine.critical_path(&report.durations);
            let sum: f64 = report.durations.values().sum();
            eprintln!(
                "| {latency_ms} ms | {concurrency} | {:.2} s | {:.2} s ({} resources) | {sum:.2} s | {} |",
                report.seconds,
                critical.as_secs_f64(),
                path.len(),
                report.calls
            );
        }
    }
}

/// Every AWS environment of the five systems applied from nothing with 50 ms injected per call at
/// the default concurrency, next to the dependency graph's critical path (the target: wall time
/// within 1.2x of it) and the number of calls; without latency for comparison.
#[tokio::test(flavor = "multi_thread", worker_threads = 16)]
#[ignore = "a benchmark: run with --ignored --nocapture"]
async fn every_system_against_its_critical_path() {
    let Some(moto) = common::Moto::start() else { return };
    eprintln!(
        "| system | env | resources | SDK calls | wall (0 ms) | wall (50 ms) | critical path (50 ms) | wall / path |"
    );
    eprintln!("|---|---|---|---|---|---|---|---|");
    let envs = [
        ("aquamark", "dev"),
        ("aquamark", "prod"),
        ("ichnaea", "dev"),
        ("ichnaea", "prod"),
        ("concerto", "dev"),
        ("concerto", "prod"),
        ("viewbovis", "prod"),
        ("postback", "aws"),
    ];
    for (system, env) in envs {
        let mut walls = Vec::new();
        let mut last = None;
        for latency_ms in [0u64, 50] {
            moto.reset();
            let world = common::SystemWorld::create(&moto).await;
            let stack = world.stack(system, env);
            let options = world.options(&moto, &stack);
            let (_latency, interceptor) = Faults::start(0, Duration::from_millis(latency_ms));
            let clients = moto.clients_with(&[interceptor]).await;
            let engine = Engine::new(clients, stack, options).expect("engine");
            let plan = engine.plan().await.expect("plan");
            let report = engine.apply(&plan, &|_| {}).await.expect("apply");
            walls.push(report.seconds);
            let (critical, _) = engine.critical_path(&report.durations);
            last = Some((engine.stack().resources().len(), report.calls, critical.as_secs_f64()));
        }
        let (resources, calls, critical) = last.expect("measured");
        eprintln!(
            "| {system} | {env} | {resources} | {calls} | {:.2} s | {:.2} s | {critical:.2} s | {:.2} |",
            walls[0],
            walls[1],
            walls[1] / critical
        );
    }
}
