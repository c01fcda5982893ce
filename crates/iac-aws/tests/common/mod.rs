//! A local moto server for the SDK engine's tests: started on 127.0.0.1 and a free port, reset
//! between tests, killed when dropped. Found through `IAC_MOTO_SERVER` (from
//! `scripts/install-tools.sh`); missing, it is a failure under `CI=true` and a skip otherwise.

#![allow(dead_code, clippy::print_stderr)]

pub mod faults;
pub mod seed;

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use aws_config::{BehaviorVersion, Region};
use aws_sdk_ec2::config::Credentials;
use iac_aws::desired::{self, Facts};
use iac_aws::services::{self, Ctx, Timing};
use iac_aws::state::{Observed, TAG_HASH, Tags};
use iac_aws::{AwsError, Clients};
use iac_core::{LogicalId, Stack, naming};
use serde_json::Value as Json;

/// The availability zones of moto's us-east-1 the tests use.
pub const ZONES: [&str; 3] = ["us-east-1a", "us-east-1b", "us-east-1c"];

/// A running moto server with SDK clients.
pub struct Moto {
    server: tests::MotoServer,
    /// `http://127.0.0.1:PORT`.
    pub endpoint: String,
}

impl Moto {
    /// Starts moto, or returns `None` (skip) when it is not installed and `CI` is not `true`.
    pub fn start() -> Option<Self> {
        let server = tests::MotoServer::start()?;
        Some(Self { endpoint: server.endpoint(), server })
    }

    /// Clears every service, then seeds ids so runs are repeatable.
    pub fn reset(&self) {
        self.server.reset();
    }

    /// Requests an ACM certificate for `domain` and returns its ARN (a raw JSON-protocol call:
    /// the engine does not use ACM, so the tests do not pull in its SDK crate).
    pub fn acm_certificate(&self, domain: &str) -> String {
        let body = format!(r#"{{"DomainName":"{domain}","ValidationMethod":"DNS"}}"#);
        let resp = self.server.post(
            "/",
            "Content-Type: application/x-amz-json-1.1\r\nX-Amz-Target: CertificateManager.RequestCertificate\r\n\
             Authorization: AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/acm/aws4_request, SignedHeaders=host, Signature=0\r\n",
            &body,
        );
        let json = resp.split("\r\n\r\n").nth(1).unwrap_or_default();
        let v: serde_json::Value = serde_json::from_str(json).unwrap_or_else(|e| panic!("ACM answer {resp}: {e}"));
        v["CertificateArn"].as_str().expect("a certificate ARN").to_owned()
    }

    /// Clients pointed at this server (region us-east-1, dummy credentials).
    pub async fn clients(&self) -> Clients {
        self.clients_with(&[]).await
    }

    /// Clients with extra interceptors (fault injection).
    pub async fn clients_with(
        &self,
        interceptors: &[aws_smithy_runtime_api::client::interceptors::SharedInterceptor],
    ) -> Clients {
        let config = aws_config::defaults(BehaviorVersion::latest())
            .endpoint_url(&self.endpoint)
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new("testing", "testing", None, None, "moto"))
            .load()
            .await;
        Clients::with_interceptors(&config, interceptors)
    }
}

/// Fast timing for moto, where everything is ready at once.
pub fn fast() -> Timing {
    Timing {
        poll: Duration::from_millis(20),
        timeout: Duration::from_secs(20),
        backoff: Duration::from_millis(10),
        attempts: 5,
        ..Timing::default()
    }
}

/// What the Aquamark stack needs from outside on moto: an AMI, a hosted zone, a certificate.
pub struct AquamarkWorld {
    /// An AL2023 image of moto's.
    pub ami: String,
    /// The hosted zone id of `example.org`.
    pub zone: String,
    /// An ACM certificate ARN.
    pub cert: String,
}

impl AquamarkWorld {
    /// Creates the zone and the certificate (after a reset) and finds an image.
    pub async fn create(moto: &Moto, clients: &Clients) -> Self {
        let images = clients
            .ec2
            .describe_images()
            .owners("amazon")
            .filters(aws_sdk_ec2::types::Filter::builder().name("name").values("al2023-ami-*").build())
            .send()
            .await
            .expect("describe_images");
        let ami = images.images().first().and_then(|i| i.image_id()).expect("moto has an AL2023 image").to_owned();
        let zone = clients
            .route53
            .create_hosted_zone()
            .name("example.org")
            .caller_reference(format!("{:?}", std::time::SystemTime::now()))
            .send()
            .await
            .expect("create_hosted_zone");
        let zone = zone.hosted_zone().expect("zone").id().trim_start_matches("/hostedzone/").to_owned();
        let cert = moto.acm_certificate("survey.example.org");
        Self { ami, zone, cert }
    }

    /// Aquamark prod from its config file, edited by `edit`, with this world's zone.
    pub fn stack(&self, edit: impl Fn(String) -> String) -> iac_core::Stack {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../stacks/config/aquamark/prod.toml");
        let text =
            edit(std::fs::read_to_string(path).expect("prod config").replace("Z0123456789ABCDEFGHIJ", &self.zone));
        let source = stacks::ConfigSource { file: "prod.toml".into(), text };
        stacks::registry().build("aquamark", "prod", Some(&source)).expect("aquamark builds")
    }

    /// Engine options with the parameters filled in and fast timing.
    pub fn options(&self) -> iac_aws::Options {
        let mut params = std::collections::BTreeMap::new();
        params.insert("WebImageId".to_owned(), self.ami.clone());
        params.insert("CertificateArn".to_owned(), self.cert.clone());
        iac_aws::Options { params, timing: fast(), ..iac_aws::Options::default() }
    }
}

/// What a system's environment needs from outside: an image, the `example.org` zone and a
/// certificate for each certificate parameter.
pub struct SystemWorld {
    /// An AL2023 image of moto's.
    pub ami: String,
    /// The hosted zone id of `example.org`.
    pub zone: String,
}

impl SystemWorld {
    /// Creates the zone (after a reset) and finds an image.
    pub async fn create(moto: &Moto) -> Self {
        let clients = moto.clients().await;
        let w = AquamarkWorld::create(moto, &clients).await;
        Self { ami: w.ami, zone: w.zone }
    }

    /// The system's environment from its checked-in config, with this world's hosted zone.
    pub fn stack(&self, system: &str, env: &str) -> iac_core::Stack {
        let path = format!("{}/../../stacks/config/{system}/{env}.toml", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{path}: {e}"))
            .replace("Z0123456789ABCDEFGHIJ", &self.zone);
        let source = stacks::ConfigSource { file: format!("{env}.toml"), text };
        stacks::registry().build(system, env, Some(&source)).unwrap_or_else(|e| panic!("{system}/{env}: {e}"))
    }

    /// Engine options with every parameter given a value of its kind.
    pub fn options(&self, moto: &Moto, stack: &iac_core::Stack) -> iac_aws::Options {
        let mut params = std::collections::BTreeMap::new();
        for (id, p) in stack.parameters() {
            let value = match p.kind {
                iac_core::stack::ParamKind::ImageId => self.ami.clone(),
                iac_core::stack::ParamKind::CertificateArn => moto.acm_certificate("example.org"),
                iac_core::stack::ParamKind::String => match &p.default {
                    Some(d) => d.clone(),
                    None => format!("{id}-value"),
                },
            };
            params.insert(id.to_string(), value);
        }
        // Moto's ECS services never start tasks, so they never reach a steady state: the wait is
        // skipped here (its own test in tests/ecs.rs shows it times out honestly on moto).
        let timing = iac_aws::services::Timing { steady_state: iac_aws::services::SteadyState::Skip, ..fast() };
        iac_aws::Options { params, timing, ..iac_aws::Options::default() }
    }
}

/// A logical id from a literal.
pub fn id(s: &str) -> LogicalId {
    LogicalId::new(s).expect("valid id")
}

/// The resolved properties of `name` and the tags the engine would give it.
pub fn desired(stack: &Stack, observed: &HashMap<LogicalId, Observed>, name: &str) -> (Json, Tags) {
    desired_in(stack, observed, name, &ZONES)
}

/// [`desired`], in a region with only the availability zones `zones`.
pub fn desired_in(stack: &Stack, observed: &HashMap<LogicalId, Observed>, name: &str, zones: &[&str]) -> (Json, Tags) {
    let template = iac_render::cloudformation::template(stack).expect("renders");
    let params = BTreeMap::new();
    let zones: Vec<String> = zones.iter().map(|z| (*z).to_owned()).collect();
    let facts =
        Facts { stack, params: &params, region: "us-east-1", account: Some("123456789012"), zones: &zones, observed };
    let props = desired::resolve(&facts, name, &template["Resources"][name]["Properties"], true).expect("resolves");
    let entry = stack.resource(&id(name)).expect("in the stack");
    let mut tags = naming::tags(stack, entry);
    tags.push((TAG_HASH.to_owned(), desired::hash(&props)));
    (props, tags)
}

/// Creates (or, with `update`, updates) `name` as the engine would, through its service module,
/// and records what came back.
pub async fn apply(
    ctx: &Ctx<'_>,
    observed: &mut HashMap<LogicalId, Observed>,
    name: &str,
    update: bool,
) -> Result<(Json, Observed), AwsError> {
    let (props, tags) = desired(ctx.stack, observed, name);
    let entry = ctx.stack.resource(&id(name)).expect("in the stack");
    let map = props.as_object().expect("object").clone();
    let mut o = if update {
        let current = observed.get(&entry.id).expect("exists").clone();
        services::update(ctx, entry, &current, &map, &tags).await?
    } else {
        services::create(ctx, entry, &map, &tags).await?
    };
    o.hash = Some(desired::hash(&props));
    observed.insert(entry.id.clone(), o.clone());
    Ok((props, o))
}
