//! Releases of Concerto on ECS on a local moto server: Concerto dev deployed by the engine, then
//! `rollout` deploys a new image version on its service (a new task definition revision), rolls
//! a deployment that never becomes healthy back to the previous revision, is finished by
//! `--resume` after a kill at any phase boundary, and deregisters revisions beyond the kept
//! count.
//!
//! What moto cannot show: its ECS services never start a task (`runningCount` stays 0) and
//! register nothing in the target group, so the tests stand in for the tasks: the rollout's
//! client answers `DescribeServices` with as many tasks running as desired (an interceptor,
//! below the executor), and the test registers IP targets in the target group itself (moto
//! reports them `healthy` at once and forever). The circuit breaker (`rolloutState` `FAILED`)
//! never fires there, so the failed deployment is the health timeout with no healthy target.

#![allow(clippy::print_stderr)] // measurements are printed on purpose

mod common;

use std::time::{Duration, Instant};

use aws_sdk_ecs::operation::describe_services::DescribeServicesOutput;
use aws_sdk_ecs::types::{Service, SortOrder, TaskDefinitionStatus};
use aws_sdk_elasticloadbalancingv2::types::TargetDescription;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::{FinalizerInterceptorContextMut, Output};
use aws_smithy_runtime_api::client::interceptors::{Intercept, SharedInterceptor};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use common::{Moto, SystemWorld};
use iac_aws::rollout::{Phase, RolloutEvent, RolloutOptions, rollout};
use iac_aws::{AwsError, Clients, Engine};
use iac_core::Stack;

const IMAGE: &str = "campsych/concerto-platform:5.0.27";

fn quiet(_: &RolloutEvent) {}

/// Answers `DescribeServices` with every service running as many tasks as it desires: the tasks
/// moto never starts.
#[derive(Debug)]
struct TasksRun;

impl Intercept for TasksRun {
    fn name(&self) -> &'static str {
        "test-tasks-run"
    }

    fn modify_before_completion(
        &self,
        context: &mut FinalizerInterceptorContextMut<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Some(Ok(output)) = context.output_or_error_mut() else { return Ok(()) };
        let Some(found) = output.downcast_ref::<DescribeServicesOutput>() else { return Ok(()) };
        let services: Vec<Service> = found
            .services()
            .iter()
            .map(|s| {
                Service::builder()
                    .set_service_arn(s.service_arn().map(str::to_owned))
                    .set_service_name(s.service_name().map(str::to_owned))
                    .set_cluster_arn(s.cluster_arn().map(str::to_owned))
                    .set_status(s.status().map(str::to_owned))
                    .set_task_definition(s.task_definition().map(str::to_owned))
                    .desired_count(s.desired_count())
                    .running_count(s.desired_count())
                    .set_launch_type(s.launch_type().cloned())
                    .set_platform_version(s.platform_version().map(str::to_owned))
                    .set_scheduling_strategy(s.scheduling_strategy().cloned())
                    .set_propagate_tags(s.propagate_tags().cloned())
                    .enable_ecs_managed_tags(s.enable_ecs_managed_tags())
                    .set_network_configuration(s.network_configuration().cloned())
                    .set_deployment_configuration(s.deployment_configuration().cloned())
                    .set_load_balancers(Some(s.load_balancers().to_vec()))
                    .set_health_check_grace_period_seconds(s.health_check_grace_period_seconds())
                    .set_deployments(Some(s.deployments().to_vec()))
                    .set_tags(Some(s.tags().to_vec()))
                    .build()
            })
            .collect();
        let rewritten = DescribeServicesOutput::builder()
            .set_services(Some(services))
            .set_failures(Some(found.failures().to_vec()))
            .build();
        *output = Output::erase(rewritten);
        Ok(())
    }
}

/// Concerto dev from its checked-in config with the image at `version`.
fn concerto(w: &SystemWorld, version: &str) -> Stack {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../stacks/config/concerto/dev.toml");
    let text = std::fs::read_to_string(path).expect("dev config");
    assert!(text.contains(IMAGE), "the dev config pins {IMAGE}");
    let text =
        text.replace("Z0123456789ABCDEFGHIJ", &w.zone).replace(IMAGE, &format!("campsych/concerto-platform:{version}"));
    let source = stacks::ConfigSource { file: "dev.toml".into(), text };
    stacks::registry().build("concerto", "dev", Some(&source)).expect("concerto builds")
}

fn options(version: &str) -> RolloutOptions {
    RolloutOptions {
        version: Some(version.to_owned()),
        health_timeout: Duration::from_secs(2),
        timing: common::fast(),
        keep_revisions: 3,
        ..RolloutOptions::default()
    }
}

/// The service: its ARN, cluster and task definition.
async fn service(clients: &Clients) -> (String, String, String) {
    let clusters = clients.ecs.list_clusters().send().await.expect("list_clusters");
    for cluster in clusters.cluster_arns() {
        let arns = clients.ecs.list_services().cluster(cluster).send().await.expect("list_services");
        if arns.service_arns().is_empty() {
            continue;
        }
        let found = clients
            .ecs
            .describe_services()
            .cluster(cluster)
            .set_services(Some(arns.service_arns().to_vec()))
            .send()
            .await
            .expect("describe_services");
        if let Some(s) = found.services().iter().find(|s| s.status() == Some("ACTIVE")) {
            return (
                s.service_arn().unwrap_or_default().to_owned(),
                cluster.clone(),
                s.task_definition().unwrap_or_default().to_owned(),
            );
        }
    }
    panic!("no ACTIVE service");
}

/// The image of a revision's first container.
async fn image_of(clients: &Clients, revision: &str) -> String {
    let td = clients.ecs.describe_task_definition().task_definition(revision).send().await.expect("describe");
    let td = td.task_definition().expect("a task definition");
    td.container_definitions().first().and_then(|c| c.image()).unwrap_or_default().to_owned()
}

/// The family's revisions with `status`, newest first.
async fn revisions(clients: &Clients, family: &str, status: TaskDefinitionStatus) -> Vec<String> {
    let out = clients
        .ecs
        .list_task_definitions()
        .family_prefix(family)
        .status(status)
        .sort(SortOrder::Desc)
        .send()
        .await
        .expect("list_task_definitions");
    // Moto ignores the sort order.
    let mut arns = out.task_definition_arns().to_vec();
    arns.sort_by_key(|a| std::cmp::Reverse(a.rsplit_once(':').and_then(|(_, r)| r.parse::<u32>().ok())));
    arns
}

fn family(arn: &str) -> String {
    let head = arn.rsplit_once(':').expect("a revision").0;
    head.rsplit_once('/').expect("a family").1.to_owned()
}

/// The service's target group.
async fn target_group(clients: &Clients) -> String {
    let (arn, cluster, _) = service(clients).await;
    let found = clients.ecs.describe_services().cluster(cluster).services(arn).send().await.expect("describe");
    let s = found.services().first().expect("the service");
    s.load_balancers().first().and_then(|l| l.target_group_arn()).expect("behind a target group").to_owned()
}

/// Stands in for the tasks moto never starts: `n` IP targets in the service's target group.
async fn register_tasks(clients: &Clients, n: usize) {
    let tg = target_group(clients).await;
    let mut req = clients.elbv2.register_targets().target_group_arn(&tg);
    for i in 0..n {
        req = req.targets(TargetDescription::builder().id(format!("10.0.{}.{}", 128 + i, 10 + i)).port(80).build());
    }
    req.send().await.expect("register_targets");
}

async fn converged(clients: &Clients, stack: &Stack, options: &iac_aws::Options, what: &str) {
    let engine = Engine::new(clients.clone(), stack.clone(), options.clone()).expect("engine");
    let plan = engine.plan().await.expect("plan");
    assert!(plan.is_empty(), "{what}: the plan of the release's stack is not empty:\n{plan}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concerto_rolls_out_rolls_back_resumes_and_prunes_on_ecs() {
    let Some(moto) = Moto::start() else {
        eprintln!("moto_server not found: skipped");
        return;
    };
    moto.reset();
    let clients = moto.clients().await;
    // The rollout's client sees the tasks moto never starts; the engine's sees moto as it is.
    let tasks = moto.clients_with(&[SharedInterceptor::new(TasksRun)]).await;
    let w = SystemWorld::create(&moto).await;
    let v1 = concerto(&w, "5.0.27");
    // One set of engine options (a certificate) for every plan.
    let engine_options = w.options(&moto, &v1);
    let engine = Engine::new(clients.clone(), v1.clone(), engine_options.clone()).expect("engine");
    let plan = engine.plan().await.expect("plan");
    engine.apply(&plan, &|_: &iac_aws::engine::Event| {}).await.expect("concerto dev goes up");
    let (_, _, first) = service(&clients).await;
    assert!(image_of(&clients, &first).await.ends_with(":5.0.27"));
    let family = family(&first);

    // A deployment that never becomes healthy (no task registers: moto starts none) is rolled
    // back to the previous revision, and the new one is deregistered.
    let started = Instant::now();
    let err = rollout(&tasks, &concerto(&w, "5.0.28"), &options("5.0.28"), &quiet)
        .await
        .expect_err("nothing healthy: rolled back");
    assert!(matches!(err, AwsError::ServiceRolledBack { .. }), "{err}");
    assert!(err.to_string().contains("0 of 1 targets healthy"), "{err}");
    let (_, _, now) = service(&clients).await;
    assert_eq!(now, first, "the service runs the previous revision again");
    assert_eq!(revisions(&clients, &family, TaskDefinitionStatus::Active).await, std::slice::from_ref(&first));
    eprintln!("rolled back in {:.2} s", started.elapsed().as_secs_f64());
    converged(&clients, &v1, &engine_options, "after the rollback").await;

    // With the tasks healthy in the target group, the release goes through.
    register_tasks(&clients, 1).await;
    let v2 = concerto(&w, "5.0.29");
    let summary = rollout(&tasks, &v2, &options("5.0.29"), &quiet).await.expect("rolls out");
    eprintln!("{summary}");
    let phases: Vec<Phase> = summary.steps[0].phases.iter().map(|p| p.phase).collect();
    assert_eq!(
        phases,
        [Phase::Prepare, Phase::Register, Phase::Deploy, Phase::WaitSteady, Phase::Prune, Phase::Done],
        "{summary}"
    );
    let (_, _, second) = service(&clients).await;
    assert_ne!(second, first, "a new revision");
    assert_eq!(image_of(&clients, &second).await, "campsych/concerto-platform:5.0.29");
    converged(&clients, &v2, &engine_options, "after the rollout").await;

    // Killed at every phase boundary, then resumed: the release ends on its revision; revisions
    // beyond the kept three are deregistered.
    let mut boundary = 1;
    loop {
        let version = format!("5.1.{boundary}");
        let stack = concerto(&w, &version);
        let killed = RolloutOptions { fault_after: Some(boundary), ..options(&version) };
        match rollout(&tasks, &stack, &killed, &quiet).await {
            Ok(_) => break,
            Err(AwsError::RolloutKilled { .. }) => {}
            Err(e) => panic!("boundary {boundary}: {e}"),
        }
        let resumed = RolloutOptions { resume: true, version: None, ..options(&version) };
        match rollout(&tasks, &stack, &resumed, &quiet).await {
            Ok(s) => assert!(s.resumed),
            // Killed right after the last step's `done` was written: nothing is left to do.
            Err(AwsError::RolloutState { message, .. }) if message.contains("nothing to resume") => {}
            Err(e) => panic!("boundary {boundary}: resume: {e}"),
        }
        let (_, _, running) = service(&clients).await;
        assert_eq!(image_of(&clients, &running).await, format!("campsych/concerto-platform:{version}"), "{boundary}");
        converged(&clients, &stack, &engine_options, &format!("resumed after boundary {boundary}")).await;
        let active = revisions(&clients, &family, TaskDefinitionStatus::Active).await;
        assert!(active.len() <= 3, "boundary {boundary}: {active:?}");
        assert_eq!(active.first(), Some(&running), "the running revision is the newest active one");
        boundary += 1;
    }
    assert!(boundary > 10, "a deploy has ten boundaries or more: {boundary}");
    let inactive = revisions(&clients, &family, TaskDefinitionStatus::Inactive).await;
    assert!(inactive.contains(&first) && inactive.contains(&second), "pruned: {inactive:?}");
}
