//! The AMI bake against a local moto server. Moto runs no user data, so each test plays the
//! builder's part: once the builder instance exists, it tags it `iac:bake-status=done` (or
//! `failed`) through the EC2 API, which is what the builder's own script does through its
//! instance role. Covered: a bake (image available, named, tagged; builder terminated;
//! temporary role deleted), reuse of an image of the same version and build, the failure
//! signal, the timeout, a cancelled bake, a launch that fails, the refusals made before anything
//! is launched, and keeping the last N images (older ones deregistered with their snapshots,
//! used ones kept).

// The SDK's accessor paths are longer than the closures they would replace.
#![allow(clippy::redundant_closure_for_method_calls)]
#![allow(clippy::print_stderr)] // measurements are printed on purpose

mod common;

use std::sync::Mutex;
use std::time::Duration;

use aws_sdk_ec2::types::{Filter, Image, Instance, InstanceStateName, RequestLaunchTemplateData};
use base64::Engine as _;
use iac_aws::bake::{self, BakeEvent, BakeRequest, BakeTiming, KeepImages, Phase, ROLE_PATH};
use iac_aws::{AwsError, Clients};
use iac_core::app::{Bake, BaseImage, Container, HostConfig, HostFile};
use iac_core::model::RootVolume;
use iac_core::stack::{Stack, StackBuilder};
use tokio::task::JoinHandle;

/// A stack with one bake, `web`, from moto's Amazon Linux 2023 images (root `/dev/xvda`).
fn bakery(root_device: &str) -> Stack {
    let mut stack = StackBuilder::new("bakery", "dev");
    stack.bake(Bake {
        name: "web".into(),
        base: BaseImage::Lookup { owners: vec!["amazon".into()], name: "al2023-ami-2023.*-kernel-6.1-x86_64".into() },
        instance_type: "t3.small".into(),
        ssh_username: "ec2-user".into(),
        root_volume: RootVolume::gp3(root_device, 8),
        host: HostConfig {
            name: "web".into(),
            docker: true,
            files: vec![HostFile { path: "/etc/web/ready".into(), mode: 0o644, content: "yes\n".into() }],
            containers: vec![Container::new("web", "nginx:1.27.0").with_port(80, 80)],
            ..HostConfig::default()
        },
    });
    stack.build().expect("the bakery stack is valid")
}

fn timing(builder_timeout: Duration) -> BakeTiming {
    BakeTiming {
        poll: Duration::from_millis(20),
        builder_timeout,
        image_timeout: Duration::from_secs(20),
        backoff: Duration::from_millis(10),
        attempts: 5,
    }
}

fn request(build: u32) -> BakeRequest {
    BakeRequest { timing: timing(Duration::from_secs(20)), ..BakeRequest::new("web", "1.2.3", build) }
}

fn filter(name: &str, values: &[&str]) -> Filter {
    Filter::builder().name(name).set_values(Some(values.iter().map(|v| (*v).to_owned()).collect())).build()
}

fn tag<'a>(tags: &'a [aws_sdk_ec2::types::Tag], key: &str) -> Option<&'a str> {
    tags.iter().find(|t| t.key() == Some(key)).and_then(|t| t.value())
}

/// Every instance the bake of `build` launched (any state).
async fn builders(clients: &Clients, build: Option<u32>) -> Vec<Instance> {
    let mut filters = vec![filter("tag:iac:bake", &["web"])];
    if let Some(build) = build {
        filters.push(filter("tag:iac:build", &[&build.to_string()]));
    }
    let out = clients.ec2.describe_instances().set_filters(Some(filters)).send().await.expect("describe_instances");
    out.reservations().iter().flat_map(|r| r.instances()).cloned().collect()
}

fn state(x: &Instance) -> InstanceStateName {
    x.state().and_then(|s| s.name()).cloned().expect("a state")
}

/// Waits until every builder is terminated (the cleanup may still be running).
async fn assert_builders_terminated(clients: &Clients) {
    for _ in 0..200 {
        let all = builders(clients, None).await;
        if !all.is_empty() && all.iter().all(|x| state(x) == InstanceStateName::Terminated) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let states: Vec<String> = builders(clients, None)
        .await
        .iter()
        .map(|x| format!("{} {}", x.instance_id().unwrap_or_default(), state(x).as_str()))
        .collect();
    panic!("builders not all terminated: {states:?}");
}

/// The temporary roles and instance profiles left under `/iac-bake/`.
async fn temporary_roles(clients: &Clients) -> (Vec<String>, Vec<String>) {
    let roles = clients.iam.list_roles().path_prefix(ROLE_PATH).send().await.expect("list_roles");
    let profiles =
        clients.iam.list_instance_profiles().path_prefix(ROLE_PATH).send().await.expect("list_instance_profiles");
    (
        roles.roles().iter().map(|r| r.role_name().to_owned()).collect(),
        profiles.instance_profiles().iter().map(|p| p.instance_profile_name().to_owned()).collect(),
    )
}

/// What the test saw of the builder while it was running.
struct Seen {
    instance_id: String,
    /// Its instance profile's ARN.
    profile: String,
    volumes_encrypted: Vec<bool>,
    user_data: String,
}

/// Plays the builder of `build`: as soon as it runs, reads what it was given, then tags it
/// `iac:bake-status=<status>` as its script would.
fn play_builder(clients: &Clients, build: u32, status: &'static str) -> JoinHandle<Seen> {
    let clients = clients.clone();
    tokio::spawn(async move {
        let start = std::time::Instant::now();
        let x = loop {
            // Moto lists the instance a moment before it has attached the instance profile.
            let live = builders(&clients, Some(build))
                .await
                .into_iter()
                .find(|x| state(x) == InstanceStateName::Running && x.iam_instance_profile().is_some());
            if let Some(x) = live {
                break x;
            }
            assert!(start.elapsed() < Duration::from_secs(20), "no builder of build {build} appeared");
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        let instance_id = x.instance_id().expect("id").to_owned();
        let profile = x.iam_instance_profile().and_then(|p| p.arn()).unwrap_or_default().to_owned();
        // (Moto's `attachment.instance-id` filter finds nothing here, so the test filters itself.)
        let volumes = clients.ec2.describe_volumes().send().await.expect("describe_volumes");
        let volumes_encrypted = volumes
            .volumes()
            .iter()
            .filter(|v| v.attachments().iter().any(|a| a.instance_id() == Some(instance_id.as_str())))
            .map(|v| v.encrypted().unwrap_or(false))
            .collect();
        let attr = clients
            .ec2
            .describe_instance_attribute()
            .instance_id(&instance_id)
            .attribute(aws_sdk_ec2::types::InstanceAttributeName::UserData)
            .send()
            .await
            .expect("describe_instance_attribute");
        let encoded = attr.user_data().and_then(|u| u.value()).unwrap_or_default();
        let user_data =
            String::from_utf8(base64::engine::general_purpose::STANDARD.decode(encoded).expect("user data is base64"))
                .expect("user data is text");
        clients
            .ec2
            .create_tags()
            .resources(&instance_id)
            .tags(aws_sdk_ec2::types::Tag::builder().key("iac:bake-status").value(status).build())
            .send()
            .await
            .expect("the builder tags itself");
        Seen { instance_id, profile, volumes_encrypted, user_data }
    })
}

async fn image(clients: &Clients, image_id: &str) -> Option<Image> {
    let out = clients.ec2.describe_images().image_ids(image_id).send().await;
    out.ok().and_then(|o| o.images().first().cloned())
}

/// Our images of bake `web`, by name.
async fn our_images(clients: &Clients) -> Vec<String> {
    let out = clients
        .ec2
        .describe_images()
        .owners("self")
        .filters(filter("tag:iac:bake", &["web"]))
        .send()
        .await
        .expect("describe_images");
    let mut names: Vec<String> = out.images().iter().filter_map(|i| i.name()).map(str::to_owned).collect();
    names.sort();
    names
}

/// Collects progress events.
#[derive(Default)]
struct Events(Mutex<Vec<BakeEvent>>);

impl Events {
    fn push(&self, e: &BakeEvent) {
        self.0.lock().expect("lock").push(e.clone());
    }

    fn names(&self) -> Vec<&'static str> {
        self.0
            .lock()
            .expect("lock")
            .iter()
            .filter_map(|e| match e {
                BakeEvent::Reused { .. } => Some("reused"),
                BakeEvent::BaseImage { .. } => Some("base-image"),
                BakeEvent::RoleCreated { .. } => Some("role-created"),
                BakeEvent::BuilderLaunched { .. } => Some("builder-launched"),
                BakeEvent::BuilderDone { .. } => Some("builder-done"),
                BakeEvent::ImageCreated { .. } => Some("image-created"),
                BakeEvent::ImageAvailable { .. } => Some("image-available"),
                BakeEvent::BuilderTerminated { .. } => Some("builder-terminated"),
                BakeEvent::RoleDeleted { .. } => Some("role-deleted"),
                BakeEvent::CleanupFailed { .. } => Some("cleanup-failed"),
                BakeEvent::ImageRemoved(_) => Some("image-removed"),
                BakeEvent::ImageInUse { .. } => Some("image-in-use"),
                BakeEvent::Waiting { .. } | BakeEvent::PhaseFinished { .. } => None,
            })
            .collect()
    }
}

/// Bakes `build` of `web` with the test playing a builder that succeeds.
async fn bake_ok(clients: &Clients, stack: &Stack, request: &BakeRequest) -> bake::BakeOutcome {
    let player = play_builder(clients, request.build, "done");
    let outcome = bake::bake(clients, stack, request, &|_| {}).await.unwrap_or_else(|e| panic!("bake: {e}"));
    player.await.expect("the player finished");
    outcome
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bake_makes_a_tagged_encrypted_image_and_cleans_up() {
    let Some(moto) = common::Moto::start() else { return };
    moto.reset();
    let clients = moto.clients().await;
    let stack = bakery("/dev/xvda");
    let events = Events::default();

    let player = play_builder(&clients, 1, "done");
    let started = std::time::Instant::now();
    let outcome = bake::bake(&clients, &stack, &request(1), &|e| events.push(e)).await.expect("bake");
    let took = started.elapsed();
    let seen = player.await.expect("the player finished");

    assert_eq!(outcome.name, "web-v1.2.3-1");
    assert!(!outcome.reused);
    assert_eq!(outcome.builder.as_deref(), Some(seen.instance_id.as_str()));
    let phases: Vec<Phase> = outcome.phases.iter().map(|p| p.phase).collect();
    assert_eq!(
        phases,
        [Phase::Reuse, Phase::BaseImage, Phase::Role, Phase::Launch, Phase::Setup, Phase::Image, Phase::Cleanup]
    );
    assert_eq!(
        events.names(),
        [
            "base-image",
            "role-created",
            "builder-launched",
            "builder-done",
            "image-created",
            "image-available",
            "builder-terminated",
            "role-deleted"
        ]
    );

    // The image: available, named, tagged for reuse and clean-up, from the newest AL2023 image.
    let img = image(&clients, &outcome.image_id).await.expect("the image exists");
    assert_eq!(img.state().map(|s| s.as_str()), Some("available"));
    assert_eq!(img.name(), Some("web-v1.2.3-1"));
    let tags = img.tags();
    assert_eq!(tag(tags, "iac:bake"), Some("web"));
    assert_eq!(tag(tags, "iac:version"), Some("1.2.3"));
    assert_eq!(tag(tags, "iac:build"), Some("1"));
    assert_eq!(tag(tags, "iac:stack"), Some("bakery"));
    let base = outcome.base_image.as_deref().expect("a base image");
    assert_eq!(tag(tags, "iac:base-image"), Some(base));
    let base_image = image(&clients, base).await.expect("the base exists");
    assert!(base_image.name().unwrap_or_default().starts_with("al2023-ami-2023."), "{base_image:?}");
    let snapshots: Vec<String> =
        img.block_device_mappings().iter().filter_map(|m| m.ebs()?.snapshot_id()).map(str::to_owned).collect();
    assert!(!snapshots.is_empty(), "the image has no snapshot");
    let snaps = clients.ec2.describe_snapshots().set_snapshot_ids(Some(snapshots)).send().await.expect("snapshots");
    for s in snaps.snapshots() {
        assert_eq!(tag(s.tags(), "iac:bake"), Some("web"), "snapshot {s:?} is not tagged");
    }

    // The builder: the bake's user data with the signal, IMDSv2, encrypted root, a profile,
    // tagged; terminated now.
    assert!(seen.user_data.starts_with("#!/bin/bash\n"), "{}", seen.user_data);
    for needle in ["docker pull nginx:1.27.0", "/etc/web/ready", "iac_bake_signal 'done'", "trap iac_bake_exit EXIT"] {
        assert!(seen.user_data.contains(needle), "the builder's user data lacks `{needle}`:\n{}", seen.user_data);
    }
    assert_eq!(seen.volumes_encrypted, [true], "the builder's root volume");
    let builder = builders(&clients, Some(1)).await;
    assert_eq!(builder.len(), 1, "one builder launched");
    let b = &builder[0];
    assert_eq!(state(b), InstanceStateName::Terminated);
    assert_eq!(b.image_id(), Some(base));
    assert_eq!(b.metadata_options().and_then(|m| m.http_tokens()).map(|t| t.as_str()), Some("required"));
    assert!(seen.profile.contains(":instance-profile/iac-bake/iac-bake-web-"), "builder profile: {:?}", seen.profile);
    assert_eq!(tag(b.tags(), "Name"), Some("web-v1.2.3-1 builder"));
    assert!(tag(b.tags(), "iac:bake-run").is_some_and(|r| r.starts_with("web-v1.2.3-1-")));

    // The temporary role is gone.
    assert_eq!(temporary_roles(&clients).await, (vec![], vec![]));
    eprintln!("bake on moto: {:.2} s, {} SDK calls, phases {:?}", took.as_secs_f64(), outcome.calls, outcome.phases);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_bake_of_the_same_version_and_build_reuses_the_image() {
    let Some(moto) = common::Moto::start() else { return };
    moto.reset();
    let clients = moto.clients().await;
    let stack = bakery("/dev/xvda");

    let first = bake_ok(&clients, &stack, &request(1)).await;
    let events = Events::default();
    let again = bake::bake(&clients, &stack, &request(1), &|e| events.push(e)).await.expect("second bake");
    assert!(again.reused);
    assert_eq!(again.image_id, first.image_id);
    assert_eq!(again.builder, None);
    assert_eq!(events.names(), ["reused"]);
    assert_eq!(again.phases.iter().map(|p| p.phase).collect::<Vec<_>>(), [Phase::Reuse]);
    assert_eq!(again.calls, 1, "reuse is one DescribeImages call");
    assert_eq!(builders(&clients, None).await.len(), 1, "no second builder was launched");

    // Another build of the same version is a new image.
    let second_build = bake_ok(&clients, &stack, &request(2)).await;
    assert!(!second_build.reused);
    assert_ne!(second_build.image_id, first.image_id);
    assert_eq!(our_images(&clients).await, ["web-v1.2.3-1", "web-v1.2.3-2"]);

    // An image of that name this tool did not make is not adopted, and nothing is launched.
    let other = clients
        .ec2
        .run_instances()
        .image_id(first.image_id.as_str())
        .min_count(1)
        .max_count(1)
        .send()
        .await
        .expect("run_instances");
    let other_id = other.instances()[0].instance_id().expect("id").to_owned();
    clients.ec2.create_image().instance_id(&other_id).name("web-v1.2.3-3").send().await.expect("create_image");
    let err = bake::bake(&clients, &stack, &request(3), &|_| {}).await.expect_err("a foreign image of that name");
    let text = err.to_string();
    assert!(matches!(err, AwsError::BakeConfig { .. }), "{err:?}");
    assert!(text.contains("web-v1.2.3-3") && text.contains("iac:build=3") && text.contains("did not make"), "{text}");
    assert_eq!(builders(&clients, None).await.len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failure_signal_stops_the_bake_with_the_console_output() {
    let Some(moto) = common::Moto::start() else { return };
    moto.reset();
    let clients = moto.clients().await;
    let stack = bakery("/dev/xvda");
    let events = Events::default();

    let player = play_builder(&clients, 1, "failed");
    let err = bake::bake(&clients, &stack, &request(1), &|e| events.push(e)).await.expect_err("the builder failed");
    let seen = player.await.expect("the player finished");
    let text = err.to_string();
    assert!(matches!(err, AwsError::BakeFailed { .. }), "{err:?}");
    assert!(text.contains("stack `bakery` bake `web`"), "{text}");
    assert!(text.contains(&seen.instance_id) && text.contains("signalled that its setup failed"), "{text}");
    // Moto's console output, decoded.
    assert!(text.contains("Linux version 2.6.16-xenU") && text.contains("Enabling fast FPU save"), "{text}");

    assert_builders_terminated(&clients).await;
    assert_eq!(temporary_roles(&clients).await, (vec![], vec![]));
    assert!(our_images(&clients).await.is_empty(), "no image is made of a failed builder");
    let names = events.names();
    assert!(names.ends_with(&["builder-terminated", "role-deleted"]), "{names:?}");
    assert!(!names.contains(&"image-created"), "{names:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_builder_that_never_signals_times_out_and_is_terminated() {
    let Some(moto) = common::Moto::start() else { return };
    moto.reset();
    let clients = moto.clients().await;
    let stack = bakery("/dev/xvda");
    let request = BakeRequest { timing: timing(Duration::from_millis(400)), ..BakeRequest::new("web", "1.2.3", 1) };
    let waits = std::sync::atomic::AtomicUsize::new(0);

    let started = std::time::Instant::now();
    let err = bake::bake(&clients, &stack, &request, &|e| {
        if matches!(e, BakeEvent::Waiting { .. }) {
            waits.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
    })
    .await
    .expect_err("no signal");
    let took = started.elapsed();
    let text = err.to_string();
    assert!(matches!(err, AwsError::BakeTimeout { .. }), "{err:?}");
    assert!(text.contains("did not signal done within 0 s; the engine terminates it"), "{text}");
    assert!(text.contains("Enabling fast FPU save"), "the console output is in the error: {text}");
    assert!(took >= Duration::from_millis(400) && took < Duration::from_secs(15), "took {took:?}");
    assert!(waits.load(std::sync::atomic::Ordering::Relaxed) >= 3, "it polled while waiting");
    assert_builders_terminated(&clients).await;
    assert_eq!(temporary_roles(&clients).await, (vec![], vec![]));
    assert!(our_images(&clients).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_bake_still_terminates_its_builder() {
    let Some(moto) = common::Moto::start() else { return };
    moto.reset();
    let clients = moto.clients().await;
    let stack = bakery("/dev/xvda");
    let request = request(1);

    // Drop the bake's future while it waits for a signal that never comes (as Ctrl-C would).
    let watcher = {
        let clients = clients.clone();
        async move {
            while builders(&clients, Some(1)).await.is_empty() {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    tokio::select! {
        result = bake::bake(&clients, &stack, &request, &|_| {}) => panic!("the bake ended by itself: {result:?}"),
        () = watcher => {}
    }
    assert_builders_terminated(&clients).await;
    for _ in 0..100 {
        if temporary_roles(&clients).await == (vec![], vec![]) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the temporary role of a cancelled bake is left: {:?}", temporary_roles(&clients).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_launch_that_fails_deletes_the_temporary_role() {
    let Some(moto) = common::Moto::start() else { return };
    moto.reset();
    let clients = moto.clients().await;
    let stack = bakery("/dev/xvda");
    let request = BakeRequest { subnet_id: Some("subnet-0000000000000000f".into()), ..request(1) };
    let events = Events::default();

    let err = bake::bake(&clients, &stack, &request, &|e| events.push(e)).await.expect_err("no such subnet");
    let text = err.to_string();
    assert!(text.contains("bake:web") && text.contains("ec2 RunInstances: InvalidSubnetID.NotFound"), "{text}");
    assert!(builders(&clients, None).await.is_empty());
    assert_eq!(temporary_roles(&clients).await, (vec![], vec![]));
    assert_eq!(events.names(), ["base-image", "role-created", "role-deleted"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_come_before_anything_is_launched() {
    let Some(moto) = common::Moto::start() else { return };
    moto.reset();
    let clients = moto.clients().await;

    // Aquamark bakes from Ubuntu 24.04, which moto does not have.
    let aquamark = stacks::registry().build("aquamark", "prod", None).expect("aquamark builds");
    let err = bake::bake(
        &clients,
        &aquamark,
        &BakeRequest { timing: timing(Duration::from_secs(5)), ..BakeRequest::new("aq-web", "1.0.1", 1) },
        &|_| {},
    )
    .await
    .expect_err("no Ubuntu noble on moto");
    let text = err.to_string();
    assert!(matches!(err, AwsError::BaseImageNotFound { .. }), "{err:?}");
    assert!(
        text.contains("stack `aquamark` bake `aq-web`")
            && text.contains("099720109477")
            && text.contains("ubuntu-noble-24.04-amd64-server-*"),
        "{text}"
    );

    let err = bake::bake(&clients, &aquamark, &BakeRequest::new("aq-api", "1.0.1", 1), &|_| {})
        .await
        .expect_err("no such bake");
    assert_eq!(err.to_string(), "stack `aquamark` has no bake `aq-api`; its bakes: aq-web");

    let stack = bakery("/dev/xvda");
    let err = bake::bake(&clients, &stack, &BakeRequest::new("web", "1.2.3+local", 1), &|_| {})
        .await
        .expect_err("bad version");
    assert!(
        err.to_string().starts_with("stack `bakery` bake `web` version: `1.2.3+local` cannot be part of an image name"),
        "{err}"
    );

    // A root device the base image does not boot from would leave the real root unencrypted.
    let ubuntu_style = bakery("/dev/sda1");
    let err = bake::bake(&clients, &ubuntu_style, &request(1), &|_| {}).await.expect_err("wrong root device");
    let text = err.to_string();
    assert!(text.contains("root_volume.device_name: is /dev/sda1") && text.contains("set it to /dev/xvda"), "{text}");

    assert!(builders(&clients, None).await.is_empty(), "nothing was launched");
    assert_eq!(temporary_roles(&clients).await, (vec![], vec![]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keep_images_removes_older_images_and_their_snapshots_but_not_used_ones() {
    let Some(moto) = common::Moto::start() else { return };
    moto.reset();
    let clients = moto.clients().await;
    let stack = bakery("/dev/xvda");

    let mut made = Vec::new();
    for build in 1..=5 {
        made.push(bake_ok(&clients, &stack, &request(build)).await);
    }
    let snapshots_of = |o: &bake::BakeOutcome| {
        let clients = clients.clone();
        let id = o.image_id.clone();
        async move {
            let img = image(&clients, &id).await.expect("exists");
            img.block_device_mappings()
                .iter()
                .filter_map(|m| m.ebs()?.snapshot_id())
                .map(str::to_owned)
                .collect::<Vec<_>>()
        }
    };
    let third_snapshots = snapshots_of(&made[2]).await;
    assert!(!third_snapshots.is_empty());

    // Build 1 runs on an instance; build 2 is what a launch template launches next.
    clients
        .ec2
        .run_instances()
        .image_id(made[0].image_id.as_str())
        .min_count(1)
        .max_count(1)
        .send()
        .await
        .expect("run_instances");
    clients
        .ec2
        .create_launch_template()
        .launch_template_name("web-next")
        .launch_template_data(RequestLaunchTemplateData::builder().image_id(made[1].image_id.as_str()).build())
        .send()
        .await
        .expect("create_launch_template");

    let events = Events::default();
    let keep = KeepImages { bake: "web".into(), keep: 2, protect: vec![], timing: timing(Duration::from_secs(5)) };
    let removed = bake::keep_images(&clients, &stack, &keep, &|e| events.push(e)).await.expect("keep_images");
    assert_eq!(removed.len(), 1, "{removed:?}");
    assert_eq!(removed[0].image_id, made[2].image_id);
    assert_eq!(removed[0].name, "web-v1.2.3-3");
    assert_eq!(removed[0].snapshots, third_snapshots);
    assert_eq!(our_images(&clients).await, ["web-v1.2.3-1", "web-v1.2.3-2", "web-v1.2.3-4", "web-v1.2.3-5"]);
    let in_use: Vec<String> = events
        .0
        .lock()
        .expect("lock")
        .iter()
        .filter_map(|e| match e {
            BakeEvent::ImageInUse { name, by, .. } => Some(format!("{name}: {by}")),
            _ => None,
        })
        .collect();
    assert_eq!(in_use.len(), 2, "{in_use:?}");
    assert!(in_use[0].starts_with("web-v1.2.3-2: launch template web-next version 1"), "{in_use:?}");
    assert!(in_use[1].starts_with("web-v1.2.3-1: instance i-"), "{in_use:?}");
    let gone = clients.ec2.describe_snapshots().set_snapshot_ids(Some(third_snapshots.clone())).send().await;
    // Moto answers InvalidSnapshot.NotFound for them, AWS too.
    let left = gone.map_or(0, |o| o.snapshots().len());
    assert_eq!(left, 0, "the removed image's snapshots {third_snapshots:?} are deleted");

    // A bake with --keep-images 1 keeps itself (the newest) and removes the unused rest.
    let sixth = BakeRequest { keep_images: Some(1), ..request(6) };
    let outcome = bake_ok(&clients, &stack, &sixth).await;
    let removed: Vec<&str> = outcome.removed.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(removed, ["web-v1.2.3-5", "web-v1.2.3-4"]);
    assert_eq!(outcome.phases.last().map(|p| p.phase), Some(Phase::KeepImages));
    assert_eq!(our_images(&clients).await, ["web-v1.2.3-1", "web-v1.2.3-2", "web-v1.2.3-6"]);

    // Keeping none still never removes a protected image.
    let keep = KeepImages {
        bake: "web".into(),
        keep: 0,
        protect: vec![outcome.image_id.clone()],
        timing: timing(Duration::from_secs(5)),
    };
    let removed = bake::keep_images(&clients, &stack, &keep, &|_| {}).await.expect("keep_images");
    assert!(removed.is_empty(), "{removed:?}");
    assert_eq!(our_images(&clients).await, ["web-v1.2.3-1", "web-v1.2.3-2", "web-v1.2.3-6"]);
}
