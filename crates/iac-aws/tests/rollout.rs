//! Blue/green rollouts on a local moto server: Aquamark deployed by the engine, then rolled out
//! to a second AMI and release. A full rollout; a rollback when green is not healthy (an
//! unhealthy health result injected in the SDK client, below the executor); a kill at every phase
//! boundary followed by `--resume`; the hooks' commands and order, and a failing hook; and a
//! two-role stack of the test's own (stop workers, migrate, start workers, switch web).

#![allow(clippy::print_stderr)] // measurements are printed on purpose

mod common;

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_sdk_autoscaling::operation::create_auto_scaling_group::CreateAutoScalingGroupInput;
use aws_sdk_autoscaling::operation::delete_auto_scaling_group::DeleteAutoScalingGroupInput;
use aws_sdk_autoscaling::operation::update_auto_scaling_group::UpdateAutoScalingGroupInput;
use aws_sdk_autoscaling::types::{Filter as GroupFilter, LifecycleState};
use aws_sdk_elasticloadbalancingv2::operation::describe_target_health::DescribeTargetHealthOutput;
use aws_sdk_elasticloadbalancingv2::types::{
    TargetHealth, TargetHealthDescription, TargetHealthReasonEnum, TargetHealthStateEnum,
};
use aws_sdk_ssm::operation::get_command_invocation::GetCommandInvocationOutput;
use aws_sdk_ssm::operation::send_command::{SendCommandInput, SendCommandOutput};
use aws_sdk_ssm::types::CommandInvocationStatus;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeSerializationInterceptorContextRef, FinalizerInterceptorContextMut, Output,
};
use aws_smithy_runtime_api::client::interceptors::{Intercept, SharedInterceptor};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use common::{AquamarkWorld, Moto};
use iac_aws::rollout::{Phase, RolloutEvent, RolloutOptions, Summary, rollout};
use iac_aws::{Action, AwsError, Clients, Engine};
use iac_core::Stack;

const BASE: &str = "aquamark-prod-web-auto-scaling-group";
const TG: &str = "aquamark-prod-web-target-group";

fn quiet(_: &RolloutEvent) {}

// ---------------------------------------------------------------------------------------------
// Interceptors: what the SDK client sees and answers, below the executor.

/// Records the order of the calls that change groups or send commands and every command sent through SSM.
#[derive(Debug, Default)]
struct Recorder {
    calls: Mutex<Vec<String>>,
    commands: Mutex<Vec<(Vec<String>, String)>>,
}

impl Recorder {
    fn calls(&self) -> Vec<String> {
        self.calls.lock().unwrap().clone()
    }
    fn commands(&self) -> Vec<(Vec<String>, String)> {
        self.commands.lock().unwrap().clone()
    }
    /// The first call that starts with `call` (an operation, then a group name).
    fn position(&self, call: &str) -> Option<usize> {
        self.calls().iter().position(|c| c.starts_with(call))
    }
    fn has(&self, call: &str) -> bool {
        self.calls().iter().any(|c| c == call)
    }
    fn last_position(&self, call: &str) -> Option<usize> {
        self.calls().iter().rposition(|c| c.starts_with(call))
    }
}

#[derive(Debug)]
struct Record(Arc<Recorder>);

impl Intercept for Record {
    fn name(&self) -> &'static str {
        "test-recorder"
    }

    fn read_before_execution(
        &self,
        context: &BeforeSerializationInterceptorContextRef<'_>,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let _ = cfg;
        let input = context.input();
        let call = if let Some(i) = input.downcast_ref::<CreateAutoScalingGroupInput>() {
            format!("CreateAutoScalingGroup {}", i.auto_scaling_group_name().unwrap_or_default())
        } else if let Some(i) = input.downcast_ref::<UpdateAutoScalingGroupInput>() {
            format!("UpdateAutoScalingGroup {}", i.auto_scaling_group_name().unwrap_or_default())
        } else if let Some(i) = input.downcast_ref::<DeleteAutoScalingGroupInput>() {
            format!("DeleteAutoScalingGroup {}", i.auto_scaling_group_name().unwrap_or_default())
        } else if input.downcast_ref::<SendCommandInput>().is_some() {
            "SendCommand".to_owned()
        } else {
            return Ok(());
        };
        self.0.calls.lock().unwrap().push(call);
        if let Some(input) = context.input().downcast_ref::<SendCommandInput>() {
            let script = input.parameters().and_then(|p| p.get("commands")).map(|c| c.join("\n")).unwrap_or_default();
            self.0.commands.lock().unwrap().push((input.instance_ids().to_vec(), script));
        }
        Ok(())
    }
}

/// Answers `DescribeTargetHealth` with `unhealthy` (failed health checks) for every target that
/// is not one of `healthy`: the green instances never pass their checks.
#[derive(Debug)]
struct Unhealthy {
    healthy: HashSet<String>,
}

impl Intercept for Unhealthy {
    fn name(&self) -> &'static str {
        "test-unhealthy-green"
    }

    fn modify_before_completion(
        &self,
        context: &mut FinalizerInterceptorContextMut<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Some(Ok(output)) = context.output_or_error_mut() else { return Ok(()) };
        let Some(health) = output.downcast_ref::<DescribeTargetHealthOutput>() else { return Ok(()) };
        let rewritten: Vec<TargetHealthDescription> = health
            .target_health_descriptions()
            .iter()
            .map(|d| {
                let id = d.target().and_then(|t| t.id()).unwrap_or_default();
                if self.healthy.contains(id) {
                    return d.clone();
                }
                TargetHealthDescription::builder()
                    .set_target(d.target().cloned())
                    .set_health_check_port(d.health_check_port().map(str::to_owned))
                    .target_health(
                        TargetHealth::builder()
                            .state(TargetHealthStateEnum::Unhealthy)
                            .reason(TargetHealthReasonEnum::FailedHealthChecks)
                            .description("Health checks failed")
                            .build(),
                    )
                    .build()
            })
            .collect();
        *output = Output::erase(
            DescribeTargetHealthOutput::builder().set_target_health_descriptions(Some(rewritten)).build(),
        );
        Ok(())
    }
}

/// Makes the first command sent through SSM fail: `GetCommandInvocation` answers `Failed`, exit
/// code 3, with an error on stderr.
#[derive(Debug, Default)]
struct FailFirstCommand {
    doomed: Mutex<Option<String>>,
}

impl Intercept for FailFirstCommand {
    fn name(&self) -> &'static str {
        "test-fail-first-command"
    }

    fn modify_before_completion(
        &self,
        context: &mut FinalizerInterceptorContextMut<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Some(Ok(output)) = context.output_or_error_mut() else { return Ok(()) };
        if let Some(sent) = output.downcast_ref::<SendCommandOutput>() {
            let id = sent.command().and_then(|c| c.command_id()).map(str::to_owned);
            let mut doomed = self.doomed.lock().unwrap();
            if doomed.is_none() {
                *doomed = id;
            }
            return Ok(());
        }
        let Some(invocation) = output.downcast_ref::<GetCommandInvocationOutput>() else { return Ok(()) };
        if invocation.command_id() != self.doomed.lock().unwrap().as_deref() {
            return Ok(());
        }
        let failed = GetCommandInvocationOutput::builder()
            .set_command_id(invocation.command_id().map(str::to_owned))
            .set_instance_id(invocation.instance_id().map(str::to_owned))
            .status(CommandInvocationStatus::Failed)
            .status_details("Failed")
            .response_code(3)
            .standard_error_content("sqlalchemy.exc.ProgrammingError: relation \"survey\" already exists")
            .build();
        *output = Output::erase(failed);
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// The world

struct World {
    moto: Moto,
    clients: Clients,
    aquamark: AquamarkWorld,
    /// Two AL2023 images of moto's: v1's and another.
    amis: [String; 2],
}

async fn deployed() -> Option<World> {
    let moto = Moto::start()?;
    moto.reset();
    let clients = moto.clients().await;
    let aquamark = AquamarkWorld::create(&moto, &clients).await;
    let images = clients
        .ec2
        .describe_images()
        .owners("amazon")
        .filters(aws_sdk_ec2::types::Filter::builder().name("name").values("al2023-ami-*").build())
        .send()
        .await
        .expect("describe_images");
    let other = images
        .images()
        .iter()
        .filter_map(|i| i.image_id())
        .find(|id| *id != aquamark.ami)
        .expect("moto has a second AL2023 image")
        .to_owned();
    let amis = [aquamark.ami.clone(), other];
    let engine = Engine::new(clients.clone(), aquamark.stack(|t| t), aquamark.options()).expect("engine");
    let plan = engine.plan().await.expect("plan");
    engine.apply(&plan, &|_| {}).await.expect("Aquamark v1 deploys");
    Some(World { moto, clients, aquamark, amis })
}

impl World {
    /// Aquamark built for release `version` of the app image.
    fn release(&self, version: &str) -> Stack {
        self.aquamark.stack(|t| t.replace("vpac/aquamark:1.0.1", &format!("vpac/aquamark:{version}")))
    }

    fn options(&self, ami: &str, version: &str) -> RolloutOptions {
        let mut params = BTreeMap::new();
        params.insert("CertificateArn".to_owned(), self.aquamark.cert.clone());
        RolloutOptions {
            version: Some(version.to_owned()),
            ami: Some(ami.to_owned()),
            params,
            health_timeout: Duration::from_millis(600),
            drain_timeout: Some(Duration::from_millis(200)),
            command_timeout: Duration::from_secs(10),
            timing: common::fast(),
            ..RolloutOptions::default()
        }
    }

    fn resume(&self) -> RolloutOptions {
        RolloutOptions { version: None, ami: None, resume: true, ..self.options("", "") }
    }

    /// Engine options for `plan`, with the image parameter set to `ami`.
    fn engine_options(&self, ami: &str) -> iac_aws::Options {
        let mut o = self.aquamark.options();
        o.params.insert("WebImageId".to_owned(), ami.to_owned());
        o
    }
}

/// One group of the web role as it is now.
#[derive(Debug)]
struct Serving {
    name: String,
    desired: usize,
    in_service: Vec<String>,
    /// In service, registered and healthy in the target group.
    healthy: usize,
    amis: Vec<String>,
}

impl Serving {
    fn at_full_capacity(&self) -> bool {
        self.desired > 0 && self.healthy >= self.desired
    }
}

async fn tg_arn(clients: &Clients) -> String {
    let out = clients.elbv2.describe_target_groups().names(TG).send().await.expect("target group");
    out.target_groups()[0].target_group_arn().unwrap().to_owned()
}

/// Ids registered in Aquamark's target group, with their states.
async fn registered(clients: &Clients) -> Vec<(String, String)> {
    health_of(clients, &tg_arn(clients).await).await
}

/// Ids registered in target group `arn`, with their states.
async fn health_of(clients: &Clients, arn: &str) -> Vec<(String, String)> {
    let out = clients.elbv2.describe_target_health().target_group_arn(arn).send().await.expect("health");
    out.target_health_descriptions()
        .iter()
        .map(|d| {
            (
                d.target().and_then(|t| t.id()).unwrap_or_default().to_owned(),
                d.target_health().and_then(|h| h.state()).map(|s| s.as_str().to_owned()).unwrap_or_default(),
            )
        })
        .collect()
}

/// Aquamark's web groups and what each serves.
async fn web_groups(clients: &Clients) -> Vec<Serving> {
    web_groups_named(clients, "WebAutoScalingGroup").await
}

/// The groups carrying `iac:id` = `id` and what each serves in their target group.
async fn web_groups_named(clients: &Clients, id: &str) -> Vec<Serving> {
    let groups = clients
        .autoscaling
        .describe_auto_scaling_groups()
        .filters(GroupFilter::builder().name("tag:iac:id").values(id).build())
        .send()
        .await
        .expect("groups");
    let tg = groups.auto_scaling_groups().iter().find_map(|g| g.target_group_arns().first().cloned());
    let targets = match tg {
        Some(arn) => health_of(clients, &arn).await,
        None => Vec::new(),
    };
    let mut out = Vec::new();
    for g in groups.auto_scaling_groups() {
        let in_service: Vec<String> = g
            .instances()
            .iter()
            .filter(|i| i.lifecycle_state() == Some(&LifecycleState::InService))
            .filter_map(|i| i.instance_id().map(str::to_owned))
            .collect();
        let healthy = in_service.iter().filter(|id| targets.iter().any(|(t, s)| t == *id && s == "healthy")).count();
        let mut amis = Vec::new();
        if !in_service.is_empty() {
            let d = clients.ec2.describe_instances().set_instance_ids(Some(in_service.clone())).send().await.unwrap();
            amis = d
                .reservations()
                .iter()
                .flat_map(aws_sdk_ec2::types::Reservation::instances)
                .filter_map(|i| i.image_id().map(str::to_owned))
                .collect();
            amis.sort();
            amis.dedup();
        }
        out.push(Serving {
            name: g.auto_scaling_group_name().unwrap_or_default().to_owned(),
            desired: usize::try_from(g.desired_capacity().unwrap_or(0)).unwrap(),
            in_service,
            healthy,
            amis,
        });
    }
    out
}

/// Exactly one web group, serving at full capacity (2, as configured) on `ami`, and alone in the
/// target group.
async fn one_group_serves(clients: &Clients, ami: &str, context: &str) -> Serving {
    let mut groups = web_groups(clients).await;
    assert_eq!(groups.len(), 1, "{context}: exactly one web group: {groups:?}");
    let g = groups.remove(0);
    assert!(g.at_full_capacity() && g.desired == 2, "{context}: serves at full capacity: {g:?}");
    assert_eq!(g.amis, [ami.to_owned()], "{context}: runs the rolled-out image: {g:?}");
    let ids: Vec<String> = registered(clients).await.into_iter().map(|(id, _)| id).collect();
    let mut sorted_ids = ids.clone();
    sorted_ids.sort();
    let mut mine = g.in_service.clone();
    mine.sort();
    assert_eq!(sorted_ids, mine, "{context}: the target group holds only the serving group's instances");
    g
}

/// The launch template's default version and its image.
async fn launch_template(clients: &Clients) -> (i64, i64, String) {
    let lts = clients
        .ec2
        .describe_launch_templates()
        .launch_template_names("aquamark-prod-web-launch-template")
        .send()
        .await
        .expect("launch template");
    let lt = &lts.launch_templates()[0];
    let versions = clients
        .ec2
        .describe_launch_template_versions()
        .launch_template_id(lt.launch_template_id().unwrap())
        .versions("$Default")
        .send()
        .await
        .unwrap();
    let image = versions.launch_template_versions()[0].launch_template_data().unwrap().image_id().unwrap().to_owned();
    (lt.default_version_number().unwrap(), lt.latest_version_number().unwrap(), image)
}

/// The daemons host's instance id.
async fn daemons(clients: &Clients) -> String {
    let out = clients
        .ec2
        .describe_instances()
        .filters(aws_sdk_ec2::types::Filter::builder().name("tag:iac:id").values("DaemonsInstance").build())
        .filters(aws_sdk_ec2::types::Filter::builder().name("instance-state-name").values("running").build())
        .send()
        .await
        .unwrap();
    out.reservations()[0].instances()[0].instance_id().unwrap().to_owned()
}

fn phases(summary: &Summary) -> Vec<(usize, Phase)> {
    summary.steps.iter().flat_map(|s| s.phases.iter().map(move |p| (s.number, p.phase))).collect()
}

// ---------------------------------------------------------------------------------------------
// Tests

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rollout_goes_from_v1_to_v2_and_the_hooks_run_after_the_switch() {
    let Some(w) = deployed().await else { return };
    let v1 = one_group_serves(&w.clients, &w.amis[0], "v1 deployed").await;
    assert_eq!(v1.name, BASE);
    let v2 = w.release("1.0.2");

    // A dry run names the steps and what they touch, and changes nothing.
    let dry = rollout(&w.clients, &v2, &RolloutOptions { dry_run: true, ..w.options(&w.amis[1], "1.0.2") }, &quiet)
        .await
        .expect("dry run");
    let text = dry.to_string();
    eprintln!("{text}");
    assert_eq!(dry.steps.len(), 3, "{text}");
    assert_eq!(dry.steps[0].from.as_deref(), Some(BASE), "{text}");
    assert!(dry.steps[0].to.as_deref().is_some_and(|g| g.starts_with(&format!("{BASE}-"))), "{text}");
    for needle in [BASE, "lt-", "arn:aws:elasticloadbalancing", &w.amis[1], "aquamark-migrate vpac/aquamark:1.0.2"] {
        assert!(text.contains(needle), "the dry run names `{needle}`:\n{text}");
    }
    assert_eq!(dry.old_ami.as_deref(), Some(w.amis[0].as_str()));
    one_group_serves(&w.clients, &w.amis[0], "after the dry run").await;
    assert_eq!(launch_template(&w.clients).await, (1, 1, w.amis[0].clone()), "the dry run made no version");

    // The rollout, through clients that record what is called.
    let recorder = Arc::new(Recorder::default());
    let clients = w.moto.clients_with(&[SharedInterceptor::new(Record(Arc::clone(&recorder)))]).await;
    let events = Mutex::new(Vec::new());
    let started = Instant::now();
    let summary = rollout(&clients, &v2, &w.options(&w.amis[1], "1.0.2"), &|e| events.lock().unwrap().push(e.clone()))
        .await
        .expect("the rollout succeeds");
    let wall = started.elapsed();

    // Green serves at full capacity on the new image; blue is gone.
    let green = one_group_serves(&w.clients, &w.amis[1], "after the rollout").await;
    assert_eq!(green.name, format!("{BASE}-{}", summary.rollout));
    assert!(green.in_service.iter().all(|id| !v1.in_service.contains(id)), "new instances");
    assert_eq!(summary.steps[0].from.as_deref(), Some(BASE));
    assert_eq!(summary.steps[0].to.as_deref(), Some(green.name.as_str()));
    assert_eq!((summary.old_ami.as_deref(), summary.new_ami.as_str()), (Some(w.amis[0].as_str()), w.amis[1].as_str()));
    // The launch template has a new version with the new image, the default.
    assert_eq!(launch_template(&w.clients).await, (2, 2, w.amis[1].clone()));
    // Every phase ran once, in order, and was timed.
    let switch = [
        Phase::Prepare,
        Phase::LaunchTemplate,
        Phase::CreateGreen,
        Phase::WaitHealthy,
        Phase::Cutover,
        Phase::Drain,
        Phase::RetireBlue,
        Phase::Done,
    ];
    let mut want: Vec<(usize, Phase)> = switch.iter().map(|p| (1, *p)).collect();
    want.extend([(2, Phase::RunOnce), (2, Phase::Done), (3, Phase::UpdateHost), (3, Phase::Done)]);
    assert_eq!(phases(&summary), want);
    let timed: f64 = summary.steps.iter().flat_map(|s| &s.phases).map(|p| p.seconds).sum();
    assert!(timed > 0.0 && timed <= summary.seconds, "{summary:?}");

    // The hooks: the migration with the new image, then the daemons on it, both on the daemons
    // host, both after the blue group was deleted.
    let host = daemons(&w.clients).await;
    let commands = recorder.commands();
    assert_eq!(commands.len(), 2, "{commands:?}");
    assert_eq!(commands[0].0, std::slice::from_ref(&host));
    assert!(commands[0].1.ends_with("/usr/local/bin/aquamark-migrate vpac/aquamark:1.0.2\n"), "{}", commands[0].1);
    assert_eq!(commands[1].0, [host]);
    for needle in [
        "docker pull vpac/aquamark:1.0.2",
        "Environment=IAC_IMAGE=vpac/aquamark:1.0.2",
        "systemctl restart recalc.service",
        "systemctl restart notify.service",
    ] {
        assert!(commands[1].1.contains(needle), "the host update has `{needle}`:\n{}", commands[1].1);
    }
    let deleted = recorder.last_position(&format!("DeleteAutoScalingGroup {BASE}")).expect("blue deleted");
    let sent = recorder.position("SendCommand").expect("a command sent");
    assert!(deleted < sent, "the hooks run after the switch: {:?}", recorder.calls());
    let health_polls = events.lock().unwrap().iter().filter(|e| matches!(e, RolloutEvent::Health { .. })).count();
    assert!(health_polls >= 1);

    // Plan with the new image: the web tier is converged; what differs is the daemons host,
    // whose containers were updated in place (its AMI is the old one and its user data is v1's).
    let engine = Engine::new(w.clients.clone(), v2.clone(), w.engine_options(&w.amis[1])).expect("engine");
    let plan = engine.plan().await.expect("plan");
    let changed: Vec<(&str, &Action)> =
        plan.changes.iter().filter(|c| c.action != Action::Unchanged).map(|c| (c.id.as_str(), &c.action)).collect();
    let replace = Action::Replace { reason: "ImageId changed: an instance boots from its image once".into() };
    assert_eq!(changed, [("DaemonsInstance", &replace)], "only the daemons host differs after the rollout:\n{plan}");
    for id in ["WebLaunchTemplate", "WebAutoScalingGroup", "WebCpuScalingPolicy", "WebTargetGroup"] {
        let c = plan.changes.iter().find(|c| c.id == id).expect("planned");
        assert_eq!(c.action, Action::Unchanged, "{id}:\n{plan}");
    }
    eprintln!("after the rollout, plan says: {changed:?}");

    // Nothing to resume now; a second rollout starts from the green group.
    let err = rollout(&w.clients, &v2, &w.resume(), &quiet).await.expect_err("nothing to resume").to_string();
    assert!(err.contains("nothing to resume") && err.contains("finished"), "{err}");
    eprintln!("{summary}");
    eprintln!(
        "rollout v1 -> v2: {:.2} s wall ({:.2} s measured outside), {} SDK calls; phases: {}",
        summary.seconds,
        wall.as_secs_f64(),
        summary.calls,
        summary
            .steps
            .iter()
            .flat_map(|s| &s.phases)
            .map(|p| format!("{} {:.0} ms", p.phase, p.seconds * 1000.0))
            .collect::<Vec<_>>()
            .join(", ")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unhealthy_green_is_rolled_back_and_blue_serves_untouched() {
    let Some(w) = deployed().await else { return };
    let blue = one_group_serves(&w.clients, &w.amis[0], "v1 deployed").await;
    let healthy: HashSet<String> = blue.in_service.iter().cloned().collect();
    let recorder = Arc::new(Recorder::default());
    let clients = w
        .moto
        .clients_with(&[
            SharedInterceptor::new(Unhealthy { healthy }),
            SharedInterceptor::new(Record(Arc::clone(&recorder))),
        ])
        .await;
    let v2 = w.release("1.0.2");

    let err = rollout(&clients, &v2, &w.options(&w.amis[1], "1.0.2"), &quiet).await.expect_err("rolled back");
    let text = err.to_string();
    assert!(matches!(err, AwsError::RolledBack { .. }), "{text}");
    for needle in [
        "role `web`: rolled back to `aquamark-prod-web-auto-scaling-group`",
        "0 of 2 green targets healthy after 0.6 s",
        "unhealthy (Target.FailedHealthChecks)",
        "The green group was deleted",
    ] {
        assert!(text.contains(needle), "the error says `{needle}`: {text}");
    }
    let after = one_group_serves(&w.clients, &w.amis[0], "after the rollback").await;
    assert_eq!((after.name.as_str(), &after.in_service), (BASE, &blue.in_service), "blue untouched");
    assert!(recorder.commands().is_empty(), "no hook ran");
    assert!(!recorder.has(&format!("UpdateAutoScalingGroup {BASE}")), "blue was never scaled: {:?}", recorder.calls());
    assert!(recorder.position(&format!("DeleteAutoScalingGroup {BASE}-")).is_some(), "green was deleted");
    // The launch template serves the blue's data again, as a new version (the latest version is
    // never the failed image); blue still uses its own version.
    assert_eq!(launch_template(&w.clients).await, (3, 3, w.amis[0].clone()));

    // The rollout is over: nothing to resume; the old stack plans only the group's launch
    // template version (the same data as version 1).
    let err = rollout(&w.clients, &v2, &w.resume(), &quiet).await.expect_err("nothing").to_string();
    assert!(err.contains("nothing to resume") && err.contains("rolled back"), "{err}");
    let engine = Engine::new(w.clients.clone(), w.aquamark.stack(|t| t), w.engine_options(&w.amis[0])).expect("engine");
    let plan = engine.plan().await.expect("plan");
    let changed: Vec<(&str, &Action)> =
        plan.changes.iter().filter(|c| c.action != Action::Unchanged).map(|c| (c.id.as_str(), &c.action)).collect();
    assert_eq!(
        changed,
        [("WebAutoScalingGroup", &Action::Update { changes: vec!["LaunchTemplate".into()] })],
        "{plan}"
    );

    // Killed right after the rollback was recorded, the rollback is finished by a resume.
    let err =
        rollout(&clients, &v2, &RolloutOptions { fault_after: Some(8), ..w.options(&w.amis[1], "1.0.3") }, &quiet)
            .await
            .expect_err("killed")
            .to_string();
    assert!(err.contains("fault hook") && err.contains("roll-back"), "{err}");
    let groups = web_groups(&w.clients).await;
    assert_eq!(groups.len(), 2, "killed with green still there: {groups:?}");
    assert!(groups.iter().find(|g| g.name == BASE).is_some_and(Serving::at_full_capacity), "{groups:?}");
    let err = rollout(&w.clients, &v2, &w.resume(), &quiet).await.expect_err("rolled back").to_string();
    assert!(err.contains("rolled back") && err.contains("FailedHealthChecks"), "{err}");
    let after = one_group_serves(&w.clients, &w.amis[0], "after the resumed rollback").await;
    assert_eq!(after.in_service, blue.in_service, "blue untouched");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rollout_killed_at_any_phase_boundary_is_finished_by_resume() {
    let Some(w) = deployed().await else { return };
    let started = Instant::now();
    let mut boundary = 1;
    let mut killed = 0;
    loop {
        // Each round is a new release on the other image, killed at the next boundary.
        let version = format!("1.0.{}", boundary + 1);
        let ami = &w.amis[boundary % 2];
        let stack = w.release(&version);
        let options = RolloutOptions { fault_after: Some(boundary), ..w.options(ami, &version) };
        match rollout(&w.clients, &stack, &options, &quiet).await {
            Ok(summary) => {
                // Past the last boundary: the rollout ran through.
                assert!(killed >= 20, "only {killed} boundaries: {summary:?}");
                one_group_serves(&w.clients, ami, "a rollout that was not killed").await;
                break;
            }
            Err(AwsError::RolloutKilled { at, .. }) if at.contains("step 3/3 phase done") => {
                // Killed right after the last step's `done` was recorded: the rollout is finished.
                killed += 1;
                let err = rollout(&w.clients, &stack, &w.resume(), &quiet).await.expect_err("finished").to_string();
                assert!(err.contains("nothing to resume"), "{err}");
                one_group_serves(&w.clients, ami, "killed after the last tag").await;
            }
            Err(AwsError::RolloutKilled { at, .. }) => {
                killed += 1;
                let context = format!("killed at boundary {boundary} ({at})");
                let groups = web_groups(&w.clients).await;
                assert!(!groups.is_empty() && groups.len() <= 2, "{context}: {groups:?}");
                assert!(
                    groups.iter().any(Serving::at_full_capacity),
                    "{context}: something serves in full: {groups:?}"
                );
                // A new rollout is refused while this one is unfinished.
                let refused = rollout(&w.clients, &stack, &w.options(ami, "9.9.9"), &quiet).await.expect_err("refused");
                assert!(refused.to_string().contains("--resume"), "{context}: {refused}");
                let summary = rollout(&w.clients, &stack, &w.resume(), &quiet)
                    .await
                    .unwrap_or_else(|e| panic!("{context}: resume fails: {e}"));
                assert!(summary.resumed && summary.version == version, "{context}");
                one_group_serves(&w.clients, ami, &format!("{context}, then resumed")).await;
                let (default, latest, image) = launch_template(&w.clients).await;
                assert!(default == latest && image == *ami, "{context}: launch template {default}/{latest} {image}");
            }
            Err(e) => panic!("boundary {boundary}: {e}"),
        }
        boundary += 1;
    }
    eprintln!(
        "{killed} kills at phase boundaries, each resumed to one serving group: {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_migration_stops_the_rollout_with_the_new_site_serving() {
    let Some(w) = deployed().await else { return };
    let recorder = Arc::new(Recorder::default());
    let failing = w
        .moto
        .clients_with(&[
            SharedInterceptor::new(FailFirstCommand::default()),
            SharedInterceptor::new(Record(Arc::clone(&recorder))),
        ])
        .await;
    let v2 = w.release("1.0.2");
    let err = rollout(&failing, &v2, &w.options(&w.amis[1], "1.0.2"), &quiet).await.expect_err("the hook fails");
    let text = err.to_string();
    assert!(matches!(err, AwsError::HookFailed { .. }), "{text}");
    for needle in [
        "role `daemons`",
        "`/usr/local/bin/aquamark-migrate vpac/aquamark:1.0.2`",
        "ended Failed (exit code 3)",
        "relation \"survey\" already exists",
        "stopped at step 2/3",
        "the new version serves (the switch of web finished)",
        "rollout --resume",
    ] {
        assert!(text.contains(needle), "the error says `{needle}`: {text}");
    }
    one_group_serves(&w.clients, &w.amis[1], "after the failed migration").await;
    assert_eq!(recorder.commands().len(), 1, "the host update did not run");

    // Fixed: resume runs the migration again, then updates the host.
    let summary = rollout(&w.clients, &v2, &w.resume(), &quiet).await.expect("resumed");
    assert_eq!(phases(&summary), [(2, Phase::RunOnce), (2, Phase::Done), (3, Phase::UpdateHost), (3, Phase::Done)]);
    one_group_serves(&w.clients, &w.amis[1], "after the resume").await;
}

// ---------------------------------------------------------------------------------------------
// A stack of the test's own with Ichnaea's roles: web, workers and a scheduler.

fn three_roles(image: &str, cert: &str) -> Stack {
    use iac_core::app::{Container, HostConfig};
    use iac_core::model::{AutoScalingGroup, HealthCheck, HealthCheckType, LaunchTemplate, MachineSpec, RootVolume};
    use iac_core::patterns::{Network, NetworkProps, WebTier, WebTierProps};
    use iac_core::rollout::{Arg, Role, RolloutPlan, Step};
    use iac_core::stack::{ParamKind, Parameter, StackBuilder};

    let mut s = StackBuilder::new("shop", "test");
    let network = Network::create(
        &mut s,
        &NetworkProps { cidr: "10.60.0.0/16".parse().unwrap(), zones: 2, subnet_prefix: 20, nat_per_zone: false },
    );
    let ami = s.parameter(
        "ImageId",
        Parameter { kind: ParamKind::ImageId, description: "the release's AMI".into(), default: None },
    );
    let host = |name: &str, command: &[&str]| HostConfig {
        name: name.into(),
        packages: Vec::new(),
        docker: true,
        files: Vec::new(),
        containers: vec![Container::new(name, image).with_command(command.iter().copied()).with_port(80, 8000)],
        cron: Vec::new(),
        ..HostConfig::default()
    };
    let web = WebTier::create(
        &mut s,
        WebTierProps {
            name: "Web",
            network: &network,
            image_id: ami.value(),
            instance_type: "t3.small".into(),
            host: host("shop-web", &["serve"]),
            instance_port: 80,
            health_check: HealthCheck::http("/health"),
            certificate_arn: cert.into(),
            min_size: 2,
            max_size: 4,
            desired_capacity: 2,
            cpu_target: 60.0,
            admin_cidrs: Vec::new(),
            root_volume: RootVolume::gp3("/dev/xvda", 20),
            statements: Vec::new(),
            internet_egress_ports: vec![443],
            vpc_egress_ports: Vec::new(),
            deletion_protection: false,
        },
    );
    // Workers and a scheduler (one instance, never two): each a group of its own template.
    let mut group = |id: &str, command: &str, max: u32, desired: u32| {
        let lt = s.add(
            &format!("{id}LaunchTemplate"),
            LaunchTemplate {
                name: None,
                machine: MachineSpec {
                    image_id: ami.value(),
                    instance_type: "t3.small".into(),
                    security_group_ids: vec![web.instance_security_group.group_id()],
                    instance_profile: None,
                    root_volume: Some(RootVolume::gp3("/dev/xvda", 20)),
                    user_data: Some(host(&format!("shop-{}", id.to_lowercase()), &[command])),
                    key_name: None,
                    detailed_monitoring: false,
                },
            },
        );
        let asg = s.add(
            &format!("{id}Group"),
            AutoScalingGroup {
                name: None,
                launch_template_id: lt.template_id(),
                launch_template_version: lt.latest_version(),
                min_size: 1,
                max_size: max,
                desired_capacity: desired,
                subnet_ids: network.private_subnets.clone(),
                target_group_arns: Vec::new(),
                health_check_type: HealthCheckType::Ec2,
                health_check_grace_period: 60,
            },
        );
        (asg, lt)
    };
    let (workers, worker_lt) = group("Worker", "work", 3, 3);
    let (scheduler, scheduler_lt) = group("Scheduler", "schedule", 1, 1);
    // Ichnaea's order: stop the scheduler and the workers, migrate, start them on the new
    // image, switch the web role.
    s.rollout(RolloutPlan {
        roles: vec![
            Role::web("web", &web.auto_scaling_group, &web.launch_template, &web.target_group),
            Role::workers("workers", &workers, &worker_lt),
            Role::singleton("scheduler", &scheduler, &scheduler_lt),
        ],
        steps: vec![
            Step::Stop("scheduler".into()),
            Step::Stop("workers".into()),
            Step::RunOnce { role: "web".into(), command: vec!["shop-migrate".into(), Arg::Image] },
            Step::Start("scheduler".into()),
            Step::Start("workers".into()),
            Step::Switch("web".into()),
        ],
    });
    s.build().expect("the stack builds")
}

/// The three-role stack deployed on moto, with two images.
struct Shop {
    moto: Moto,
    clients: Clients,
    /// v1's image and another.
    amis: [String; 2],
    cert: String,
}

impl Shop {
    async fn deployed() -> Option<Self> {
        let moto = Moto::start()?;
        moto.reset();
        let clients = moto.clients().await;
        let world = AquamarkWorld::create(&moto, &clients).await;
        let images = clients
            .ec2
            .describe_images()
            .owners("amazon")
            .filters(aws_sdk_ec2::types::Filter::builder().name("name").values("al2023-ami-*").build())
            .send()
            .await
            .unwrap();
        let other = images.images().iter().filter_map(|i| i.image_id()).find(|i| *i != world.ami).unwrap().to_owned();
        let mut params = BTreeMap::new();
        params.insert("ImageId".to_owned(), world.ami.clone());
        let v1 = three_roles("example/shop:1.0.0", &world.cert);
        let engine = Engine::new(
            clients.clone(),
            v1,
            iac_aws::Options { params, timing: common::fast(), ..iac_aws::Options::default() },
        )
        .expect("engine");
        engine.apply(&engine.plan().await.expect("plan"), &|_| {}).await.expect("deploys");
        Some(Self { moto, clients, amis: [world.ami.clone(), other], cert: world.cert })
    }

    /// Instances of group `name` and their images.
    async fn group(&self, name: &str) -> (usize, Vec<String>) {
        let out = self
            .clients
            .autoscaling
            .describe_auto_scaling_groups()
            .auto_scaling_group_names(name)
            .send()
            .await
            .unwrap();
        let g = &out.auto_scaling_groups()[0];
        let ids: Vec<String> = g.instances().iter().filter_map(|i| i.instance_id().map(str::to_owned)).collect();
        if ids.is_empty() {
            return (0, Vec::new());
        }
        let d = self.clients.ec2.describe_instances().set_instance_ids(Some(ids.clone())).send().await.unwrap();
        let images: Vec<String> = d
            .reservations()
            .iter()
            .flat_map(aws_sdk_ec2::types::Reservation::instances)
            .filter(|i| i.state().and_then(|s| s.name()).is_some_and(|n| n.as_str() == "running"))
            .filter_map(|i| i.image_id().map(str::to_owned))
            .collect();
        (images.len(), images)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[allow(clippy::too_many_lines)] // deploy, roll out, then check each role
async fn a_stack_of_three_roles_stops_migrates_starts_and_switches_in_order() {
    let Some(Shop { moto, clients, amis, cert }) = Shop::deployed().await else { return };
    let new_ami = amis[1].clone();
    let blue = clients
        .autoscaling
        .describe_auto_scaling_groups()
        .auto_scaling_group_names("shop-test-web-auto-scaling-group")
        .send()
        .await
        .unwrap();
    let blue_ids: Vec<String> =
        blue.auto_scaling_groups()[0].instances().iter().filter_map(|i| i.instance_id().map(str::to_owned)).collect();

    let recorder = Arc::new(Recorder::default());
    let recording = moto.clients_with(&[SharedInterceptor::new(Record(Arc::clone(&recorder)))]).await;
    let events = Mutex::new(Vec::new());
    let v2 = three_roles("example/shop:2.0.0", &cert);
    let options = RolloutOptions {
        version: Some("2.0.0".into()),
        ami: Some(new_ami.clone()),
        health_timeout: Duration::from_secs(2),
        drain_timeout: Some(Duration::from_millis(100)),
        timing: common::fast(),
        ..RolloutOptions::default()
    };
    let summary =
        rollout(&recording, &v2, &options, &|e| events.lock().unwrap().push(e.clone())).await.expect("rolls out");

    // The steps ran in the plan's order, each through its phases.
    let steps: Vec<String> = events
        .lock()
        .unwrap()
        .iter()
        .filter_map(|e| match e {
            RolloutEvent::Step { step, .. } => Some(step.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(
        steps,
        [
            "stop scheduler",
            "stop workers",
            "run `shop-migrate <new image>` on web",
            "start scheduler on the new image",
            "start workers on the new image",
            "switch web blue/green"
        ]
    );
    let order: Vec<(usize, Phase)> = phases(&summary).into_iter().filter(|(_, p)| *p != Phase::Done).collect();
    assert_eq!(
        &order[..5],
        [(1, Phase::Stop), (2, Phase::Stop), (3, Phase::RunOnce), (4, Phase::Start), (5, Phase::Start)]
    );
    // The migration ran on a (blue) web instance, with the new image, while the scheduler and
    // the workers were stopped; green was made after they started again.
    let commands = recorder.commands();
    assert_eq!(commands.len(), 1, "{commands:?}");
    assert!(blue_ids.contains(&commands[0].0[0]), "{commands:?} on {blue_ids:?}");
    assert!(commands[0].1.ends_with("shop-migrate example/shop:2.0.0\n"), "{}", commands[0].1);
    let calls: Vec<String> = recorder
        .calls()
        .into_iter()
        .filter(|c| {
            c.contains("scheduler") || c.contains("worker") || c.starts_with("SendCommand") || c.starts_with("Create")
        })
        .map(|c| c.split(' ').take(2).collect::<Vec<_>>().join(" "))
        .collect();
    assert_eq!(
        calls[..6],
        [
            "UpdateAutoScalingGroup shop-test-scheduler-group",
            "UpdateAutoScalingGroup shop-test-worker-group",
            "SendCommand",
            "UpdateAutoScalingGroup shop-test-scheduler-group",
            "UpdateAutoScalingGroup shop-test-worker-group",
            &format!("CreateAutoScalingGroup shop-test-web-auto-scaling-group-{}", summary.rollout),
        ],
        "{calls:?}"
    );

    // The workers and the scheduler run the new image at their capacity again; web switched.
    for (name, max, desired) in [("shop-test-worker-group", 3, 3), ("shop-test-scheduler-group", 1, 1)] {
        let out =
            clients.autoscaling.describe_auto_scaling_groups().auto_scaling_group_names(name).send().await.unwrap();
        let g = &out.auto_scaling_groups()[0];
        assert_eq!((g.min_size(), g.max_size(), g.desired_capacity()), (Some(1), Some(max), Some(desired)), "{name}");
        let ids: Vec<String> = g.instances().iter().filter_map(|i| i.instance_id().map(str::to_owned)).collect();
        let d = clients.ec2.describe_instances().set_instance_ids(Some(ids.clone())).send().await.unwrap();
        let running: Vec<&str> = d
            .reservations()
            .iter()
            .flat_map(aws_sdk_ec2::types::Reservation::instances)
            .filter(|i| i.state().and_then(|s| s.name()).is_some_and(|n| n.as_str() == "running"))
            .filter_map(|i| i.image_id())
            .collect();
        let want = vec![new_ami.as_str(); usize::try_from(desired).unwrap()];
        assert_eq!(running, want, "{name}: {ids:?}");
    }
    assert!(summary.steps[5].to.as_deref().is_some_and(|n| n.starts_with("shop-test-web-auto-scaling-group-")));
    // And the engine sees every role converged with the new image.
    let mut params = BTreeMap::new();
    params.insert("ImageId".to_owned(), new_ami.clone());
    let engine = Engine::new(
        clients.clone(),
        v2,
        iac_aws::Options { params, timing: common::fast(), ..iac_aws::Options::default() },
    )
    .expect("engine");
    let plan = engine.plan().await.expect("plan");
    assert!(plan.is_empty(), "converged after the rollout:\n{plan}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_three_role_rollout_killed_at_any_boundary_is_finished_by_resume() {
    let Some(shop) = Shop::deployed().await else { return };
    let started = Instant::now();
    let mut boundary = 1;
    let mut killed = 0;
    loop {
        let version = format!("1.{boundary}.0");
        let ami = &shop.amis[boundary % 2];
        let stack = three_roles(&format!("example/shop:{version}"), &shop.cert);
        let options = |resume: bool, fault_after: Option<usize>| RolloutOptions {
            version: (!resume).then(|| version.clone()),
            ami: (!resume).then(|| ami.clone()),
            resume,
            fault_after,
            health_timeout: Duration::from_secs(2),
            drain_timeout: Some(Duration::from_millis(100)),
            timing: common::fast(),
            ..RolloutOptions::default()
        };
        match rollout(&shop.clients, &stack, &options(false, Some(boundary)), &quiet).await {
            Ok(_) => {
                assert!(killed >= 29, "only {killed} boundaries");
                break;
            }
            Err(AwsError::RolloutKilled { at, .. }) => {
                killed += 1;
                let context = format!("killed at boundary {boundary} ({at})");
                // Never two schedulers; the web role serves in full throughout.
                let (schedulers, _) = shop.group("shop-test-scheduler-group").await;
                assert!(schedulers <= 1, "{context}: {schedulers} schedulers");
                let web = web_groups_named(&shop.clients, "WebAutoScalingGroup").await;
                assert!(web.iter().any(Serving::at_full_capacity), "{context}: {web:?}");
                if !at.contains("step 6/6 phase done") {
                    rollout(&shop.clients, &stack, &options(true, None), &quiet)
                        .await
                        .unwrap_or_else(|e| panic!("{context}: resume fails: {e}"));
                }
                for (name, count) in [("shop-test-worker-group", 3), ("shop-test-scheduler-group", 1)] {
                    let (n, images) = shop.group(name).await;
                    assert_eq!((n, images), (count, vec![ami.clone(); count]), "{context}, then resumed: {name}");
                }
                let web = web_groups_named(&shop.clients, "WebAutoScalingGroup").await;
                assert!(
                    web.len() == 1 && web[0].at_full_capacity() && web[0].amis == [ami.clone()],
                    "{context}: {web:?}"
                );
            }
            Err(e) => panic!("boundary {boundary}: {e}"),
        }
        boundary += 1;
    }
    eprintln!(
        "three roles: {killed} kills at phase boundaries, each resumed: {:.1} s",
        started.elapsed().as_secs_f64()
    );
}
