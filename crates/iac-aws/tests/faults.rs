//! Throttling and latency injected in the SDK client (below the engine): Aquamark still
//! converges, and a second plan is empty.

#![allow(clippy::print_stderr)] // measurements are printed on purpose

mod common;

use std::time::Duration;

use common::AquamarkWorld;
use common::faults::Faults;
use iac_aws::Engine;

#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn aquamark_converges_through_throttling_and_latency() {
    let Some(moto) = common::Moto::start() else { return };
    moto.reset();
    let setup_clients = moto.clients().await;
    let world = AquamarkWorld::create(&moto, &setup_clients).await;
    let (injected, interceptor) = Faults::start(4, Duration::from_millis(3));
    let clients = moto.clients_with(&[interceptor]).await;

    let engine = Engine::new(clients, world.stack(|t| t), world.options()).expect("engine");
    let plan = engine.plan().await.expect("plan through throttling");
    let report = engine.apply(&plan, &|_| {}).await.expect("apply through throttling");
    assert_eq!(report.changed, engine.stack().resources().len());
    let again = engine.plan().await.expect("plan");
    assert!(again.is_empty(), "not converged:\n{again}");
    eprintln!(
        "with every 4th call throttled and 3 ms latency: {:.2} s, {} calls seen, {} throttled ({:?})",
        report.seconds,
        injected.calls(),
        injected.throttled(),
        injected.throttled_by_service()
    );
    assert!(injected.throttled() > 20, "the interceptor throttled only {} calls", injected.throttled());
}
