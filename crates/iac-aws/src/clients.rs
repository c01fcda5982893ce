//! AWS clients built from `aws-config`, so `AWS_ENDPOINT_URL`, `AWS_PROFILE`, `AWS_REGION` and
//! the usual credential chain work as users expect (and a local moto server is just an endpoint).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use aws_config::{BehaviorVersion, SdkConfig};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextRef;
use aws_smithy_runtime_api::client::interceptors::{Intercept, SharedInterceptor};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;

/// Counts every request sent (each retry attempt too).
#[derive(Debug, Clone, Default)]
struct CallCounter(Arc<AtomicUsize>);

impl Intercept for CallCounter {
    fn name(&self) -> &'static str {
        "iac-call-counter"
    }

    fn read_before_transmit(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        self.0.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }
}

/// One client per service the engine uses.
#[derive(Debug, Clone)]
pub struct Clients {
    /// EC2: VPCs, subnets, gateways, routes, security groups, launch templates, instances.
    pub ec2: aws_sdk_ec2::Client,
    /// Auto scaling groups and policies.
    pub autoscaling: aws_sdk_autoscaling::Client,
    /// Load balancers, target groups, listeners.
    pub elbv2: aws_sdk_elasticloadbalancingv2::Client,
    /// RDS instances, subnet and parameter groups.
    pub rds: aws_sdk_rds::Client,
    /// Route53 records.
    pub route53: aws_sdk_route53::Client,
    /// IAM roles and instance profiles.
    pub iam: aws_sdk_iam::Client,
    /// SSM Run Command: a rollout's one-off commands and host updates.
    pub ssm: aws_sdk_ssm::Client,
    /// STS: the account id (`AWS::AccountId`).
    pub sts: aws_sdk_sts::Client,
    /// ECS clusters, task definitions and services.
    pub ecs: aws_sdk_ecs::Client,
    /// EFS file systems, mount targets and access points.
    pub efs: aws_sdk_efs::Client,
    /// CloudWatch Logs log groups.
    pub logs: aws_sdk_cloudwatchlogs::Client,
    /// `EventBridge` Scheduler schedules.
    pub scheduler: aws_sdk_scheduler::Client,
    /// ElastiCache subnet groups, parameter groups and replication groups.
    pub elasticache: aws_sdk_elasticache::Client,
    /// S3 buckets and bucket policies.
    pub s3: aws_sdk_s3::Client,
    /// CloudFront distributions and origin access controls.
    pub cloudfront: aws_sdk_cloudfront::Client,
    /// KMS keys.
    pub kms: aws_sdk_kms::Client,
    /// SNS topics and subscriptions.
    pub sns: aws_sdk_sns::Client,
    /// CloudWatch alarms.
    pub cloudwatch: aws_sdk_cloudwatch::Client,
    /// Secrets Manager secrets.
    pub secretsmanager: aws_sdk_secretsmanager::Client,
    /// CloudFormation stacks, change sets and events (the CloudFormation engine).
    pub cloudformation: aws_sdk_cloudformation::Client,
    /// The region the clients talk to.
    pub region: String,
    counter: CallCounter,
}

impl Clients {
    /// Clients from the environment (profiles, `AWS_ENDPOINT_URL`, region...).
    pub async fn from_env() -> Self {
        let config = aws_config::defaults(BehaviorVersion::latest()).load().await;
        Self::new(&config)
    }

    /// Clients from the environment, in `region` instead of the environment's region (a
    /// deployment to several regions in turn).
    pub async fn from_env_in(region: &str) -> Self {
        let config = aws_config::defaults(BehaviorVersion::latest())
            .region(aws_config::Region::new(region.to_owned()))
            .load()
            .await;
        Self::new(&config)
    }

    /// Clients for a local endpoint that stands in for AWS (moto, `LocalStack`) in `region`, with
    /// static test credentials: what tests and local tools need without depending on
    /// `aws-config` themselves.
    pub async fn for_endpoint(endpoint: &str, region: &str) -> Self {
        let config = aws_config::defaults(BehaviorVersion::latest())
            .endpoint_url(endpoint)
            .region(aws_config::Region::new(region.to_owned()))
            .test_credentials()
            .load()
            .await;
        Self::new(&config)
    }

    /// Clients from a loaded config.
    pub fn new(config: &SdkConfig) -> Self {
        Self::build(config, &[])
    }

    /// Clients from a loaded config, with extra interceptors on every client (tests inject
    /// throttling and latency this way, below the engine).
    #[cfg(feature = "testing")]
    pub fn with_interceptors(config: &SdkConfig, interceptors: &[SharedInterceptor]) -> Self {
        Self::build(config, interceptors)
    }

    fn build(config: &SdkConfig, interceptors: &[SharedInterceptor]) -> Self {
        let counter = CallCounter::default();
        macro_rules! client {
            ($krate:ident) => {
                client!($krate, |b| b)
            };
            ($krate:ident, $tweak:expr) => {{
                let mut b = $krate::config::Builder::from(config).interceptor(counter.clone());
                b = $tweak(b);
                for i in interceptors {
                    b = b.interceptor(i.clone());
                }
                $krate::Client::from_conf(b.build())
            }};
        }
        Self {
            ec2: client!(aws_sdk_ec2),
            autoscaling: client!(aws_sdk_autoscaling),
            elbv2: client!(aws_sdk_elasticloadbalancingv2),
            rds: client!(aws_sdk_rds),
            route53: client!(aws_sdk_route53),
            iam: client!(aws_sdk_iam),
            ssm: client!(aws_sdk_ssm),
            sts: client!(aws_sdk_sts),
            ecs: client!(aws_sdk_ecs),
            efs: client!(aws_sdk_efs),
            logs: client!(aws_sdk_cloudwatchlogs),
            scheduler: client!(aws_sdk_scheduler),
            elasticache: client!(aws_sdk_elasticache),
            // Path-style addressing against a custom endpoint (moto, LocalStack): `bucket.127.0.0.1`
            // does not resolve. Real AWS keeps virtual-hosted addressing.
            s3: client!(aws_sdk_s3, |b: aws_sdk_s3::config::Builder| b
                .force_path_style(config.endpoint_url().is_some())),
            cloudfront: client!(aws_sdk_cloudfront),
            kms: client!(aws_sdk_kms),
            sns: client!(aws_sdk_sns),
            cloudwatch: client!(aws_sdk_cloudwatch),
            secretsmanager: client!(aws_sdk_secretsmanager),
            cloudformation: client!(aws_sdk_cloudformation),
            region: config.region().map_or_else(|| "us-east-1".to_owned(), ToString::to_string),
            counter,
        }
    }

    /// SDK requests sent so far by these clients (retries included).
    pub fn calls(&self) -> usize {
        self.counter.0.load(Ordering::Relaxed)
    }
}
