//! Validation of the data and delivery kinds (IAC100-IAC118), the stateful set, and the Cache,
//! `AssetCdn` and read replica patterns.

use iac_core::diag::Severity;
use iac_core::model::*;
use iac_core::patterns::{AssetCdn, AssetCdnProps, Cache, CacheProps, Database, DatabaseProps, Network, NetworkProps};
use iac_core::stack::{Stack, StackBuilder};
use iac_core::validate::validate;
use iac_core::value::Value;
use indexmap::IndexMap;

fn codes(stack: &Stack) -> Vec<(&'static str, String)> {
    validate(stack).into_iter().map(|d| (d.code.as_str(), d.path.to_string())).collect()
}

fn has(stack: &Stack, code: &str, path: &str) -> bool {
    codes(stack).iter().any(|(c, p)| *c == code && p == path)
}

fn group(mutate: impl FnOnce(&mut CacheReplicationGroup)) -> CacheReplicationGroup {
    let mut g = CacheReplicationGroup {
        replication_group_id: Some("demo-cache".into()),
        description: "cache".into(),
        engine_version: "7.1".into(),
        node_type: "cache.t4g.small".into(),
        num_cache_clusters: 2,
        port: None,
        automatic_failover: true,
        multi_az: true,
        at_rest_encryption: true,
        transit_encryption: true,
        auth_token: None,
        security_group_ids: vec!["sg-1".into()],
        subnet_group_name: "subnets".into(),
        parameter_group_name: None,
        snapshot_retention_days: 7,
        snapshot_window: None,
        maintenance_window: None,
        auto_minor_version_upgrade: true,
    };
    mutate(&mut g);
    g
}

fn bucket(mutate: impl FnOnce(&mut Bucket)) -> Bucket {
    let mut b = Bucket {
        name: Some("demo-bucket".into()),
        encryption: BucketEncryption::S3Managed,
        block_public_access: true,
        versioning: true,
        object_ownership: ObjectOwnership::BucketOwnerEnforced,
        lifecycle_rules: Vec::new(),
    };
    mutate(&mut b);
    b
}

fn network(s: &mut StackBuilder) -> Network {
    Network::create(
        s,
        &NetworkProps { cidr: "10.0.0.0/16".parse().unwrap(), zones: 2, subnet_prefix: 20, nat_per_zone: false },
    )
}

#[test]
fn a_well_formed_cache_and_bucket_pass() {
    let mut s = StackBuilder::new("demo", "dev");
    s.add("Cache", group(|_| {}));
    s.add("Bucket", bucket(|_| {}));
    let stack = s.build().unwrap();
    assert!(validate(&stack).is_empty(), "{:#?}", validate(&stack));
}

#[test]
fn cache_rules_fire() {
    let mut s = StackBuilder::new("demo", "dev");
    s.add(
        "Cache",
        group(|g| {
            g.at_rest_encryption = false;
            g.transit_encryption = false;
            g.automatic_failover = false;
            g.security_group_ids.clear();
            g.snapshot_retention_days = 40;
            g.replication_group_id = Some("Demo--cache".into());
        }),
    );
    let stack = s.build().unwrap();
    for (code, prop) in [
        ("IAC100", "AtRestEncryptionEnabled"),
        ("IAC101", "TransitEncryptionEnabled"),
        ("IAC102", "MultiAZEnabled"),
        ("IAC103", "SecurityGroupIds"),
        ("IAC104", "SnapshotRetentionLimit"),
        ("IAC105", "ReplicationGroupId"),
    ] {
        assert!(has(&stack, code, &format!("demo/Cache/{prop}")), "{code}: {:?}", codes(&stack));
    }
    let d = validate(&stack);
    assert!(d.iter().filter(|d| d.code.as_str().starts_with("IAC10")).all(|d| d.severity == Severity::Error));

    // No snapshots is allowed, with a warning; one node cannot be Multi-AZ.
    let mut s = StackBuilder::new("demo", "dev");
    s.add(
        "Cache",
        group(|g| {
            g.snapshot_retention_days = 0;
            g.num_cache_clusters = 1;
        }),
    );
    let stack = s.build().unwrap();
    let d = validate(&stack);
    assert!(d.iter().any(|d| d.code == "IAC114" && d.severity == Severity::Warning), "{d:#?}");
    assert!(d.iter().any(|d| d.code == "IAC102" && d.severity == Severity::Error), "{d:#?}");
}

#[test]
fn a_cache_admits_only_security_groups() {
    let mut s = StackBuilder::new("demo", "dev");
    let vpc =
        s.add("Vpc", Vpc { cidr_block: "10.0.0.0/16".into(), enable_dns_hostnames: true, enable_dns_support: true });
    let sg = s.add(
        "CacheSg",
        SecurityGroup {
            description: "cache".into(),
            vpc_id: vpc.vpc_id(),
            ingress: vec![Rule::tcp(6379, Peer::Cidr("10.0.0.0/16".into()), "the VPC")],
            egress: Vec::new(),
        },
    );
    s.add("Cache", group(|g| g.security_group_ids = vec![sg.group_id()]));
    let stack = s.build().unwrap();
    assert!(has(&stack, "IAC011", "demo/CacheSg/Ingress[0]"), "{:?}", codes(&stack));
}

#[test]
fn bucket_rules_fire() {
    let mut s = StackBuilder::new("demo", "dev");
    s.add(
        "Bucket",
        bucket(|b| {
            b.block_public_access = false;
            b.name = Some("Not_A_Bucket".into());
            let rule = LifecycleRule {
                id: "same".into(),
                prefix: String::new(),
                expiration_days: Some(1),
                noncurrent_expiration_days: None,
                abort_incomplete_upload_days: None,
            };
            b.lifecycle_rules = vec![rule.clone(), rule];
        }),
    );
    s.add(
        "Idle",
        bucket(|b| {
            b.name = None;
            b.lifecycle_rules = vec![LifecycleRule {
                id: "nothing".into(),
                prefix: "x/".into(),
                expiration_days: None,
                noncurrent_expiration_days: None,
                abort_incomplete_upload_days: None,
            }];
        }),
    );
    s.add(
        "Policy",
        BucketPolicy {
            bucket: "demo-bucket".into(),
            statements: vec![PolicyStatement {
                sid: "Public".into(),
                allow: true,
                principal: Principal::Any,
                actions: vec!["s3:GetObject".into()],
                resources: vec!["arn:aws:s3:::demo-bucket/*".into()],
                conditions: Vec::new(),
            }],
        },
    );
    let stack = s.build().unwrap();
    assert!(has(&stack, "IAC107", "demo/Bucket/PublicAccessBlockConfiguration"), "{:?}", codes(&stack));
    assert!(has(&stack, "IAC108", "demo/Bucket/BucketName"));
    assert!(has(&stack, "IAC115", "demo/Bucket/LifecycleConfiguration.Rules[1]"));
    assert!(has(&stack, "IAC109", "demo/Idle/LifecycleConfiguration.Rules[0]"));
    assert!(has(&stack, "IAC110", "demo/Policy/PolicyDocument.Statement[0].Principal"));
    // Denying everyone is fine (deny_insecure_transport).
    let mut s = StackBuilder::new("demo", "dev");
    s.add(
        "Policy",
        BucketPolicy {
            bucket: "demo-bucket".into(),
            statements: vec![PolicyStatement::deny_insecure_transport("arn:aws:s3:::demo-bucket".into())],
        },
    );
    assert!(validate(&s.build().unwrap()).is_empty());
}

#[test]
fn distribution_and_schedule_rules_fire() {
    let mut s = StackBuilder::new("demo", "dev");
    let dist = |aliases: Vec<String>, certificate: ViewerCertificate| Distribution {
        comment: "cdn".into(),
        origin_domain_name: "demo-bucket.s3.eu-west-1.amazonaws.com".into(),
        origin_access_control_id: "E123".into(),
        default_root_object: None,
        cache_policy_id: CACHING_OPTIMIZED.into(),
        response_headers_policy_id: None,
        aliases,
        certificate,
        price_class: PriceClass::All,
        http_version: "http2".into(),
        ipv6: true,
    };
    s.add("NoCert", dist(vec!["a.example.org".into()], ViewerCertificate::CloudFrontDefault));
    s.add(
        "OldTls",
        dist(
            vec!["b.example.org".into()],
            ViewerCertificate::Acm {
                certificate_arn: "arn:aws:acm:us-east-1:1:certificate/x".into(),
                minimum_protocol_version: "TLSv1_2016".into(),
            },
        ),
    );
    s.add(
        "Sched",
        ScheduledAction {
            auto_scaling_group_name: "asg".into(),
            recurrence: "@daily".into(),
            time_zone: None,
            min_size: None,
            max_size: None,
            desired_capacity: None,
        },
    );
    s.add(
        "Inverted",
        ScheduledAction {
            auto_scaling_group_name: "asg".into(),
            recurrence: "0 8 * * *".into(),
            time_zone: None,
            min_size: Some(3),
            max_size: Some(1),
            desired_capacity: None,
        },
    );
    let stack = s.build().unwrap();
    assert!(has(&stack, "IAC111", "demo/NoCert/DistributionConfig.ViewerCertificate"), "{:?}", codes(&stack));
    assert!(has(&stack, "IAC116", "demo/OldTls/DistributionConfig.ViewerCertificate.MinimumProtocolVersion"));
    assert!(has(&stack, "IAC112", "demo/Sched/Recurrence"));
    assert!(has(&stack, "IAC117", "demo/Sched/DesiredCapacity"));
    assert!(has(&stack, "IAC118", "demo/Inverted/MinSize"));
}

#[test]
fn patterns_are_valid_and_stateful_kinds_are_marked() {
    let mut s = StackBuilder::new("demo", "dev");
    let net = network(&mut s);
    let db = Database::create(
        &mut s,
        DatabaseProps {
            name: "Db",
            network: &net,
            engine: Engine::Mysql,
            engine_version: "8.4.7".into(),
            family: "mysql8.4".into(),
            parameters: IndexMap::new(),
            instance_class: "db.t4g.small".into(),
            allocated_storage_gib: 20,
            max_allocated_storage_gib: None,
            backup_retention_days: 7,
            multi_az: false,
            identifier: None,
            db_name: "app".into(),
            master_username: "app".into(),
            monitoring_interval: 60,
        },
    );
    let replica = db.add_read_replica(&mut s, "1", None, false);
    let cache = Cache::create(
        &mut s,
        CacheProps {
            name: "Cache",
            network: &net,
            engine_version: "7.1".into(),
            family: "redis7".into(),
            parameters: IndexMap::new(),
            node_type: "cache.t4g.small".into(),
            replicas: 1,
            multi_az: true,
            snapshot_retention_days: 1,
            auth_token: None,
        },
    );
    cache.allow_from_group(&mut s, "App", "sg-app".into());
    let cdn = AssetCdn::create(
        &mut s,
        AssetCdnProps {
            name: "Assets",
            bucket_name: None,
            lifecycle_rules: Vec::new(),
            aliases: Vec::new(),
            certificate_arn: None,
            price_class: PriceClass::PriceClass100,
            default_root_object: None,
        },
    );
    let stack = s.build().unwrap();
    assert!(validate(&stack).is_empty(), "{:#?}", validate(&stack));
    let stateful = |id: &iac_core::LogicalId| stack.resource(id).unwrap().resource.is_stateful();
    assert!(stateful(db.instance.id()));
    assert!(!stateful(replica.id()), "a replica holds no data of its own");
    assert!(stateful(cache.group.id()));
    assert!(stateful(cdn.bucket.id()));
    assert!(!stateful(cdn.distribution.id()));
    // The replica copies the primary's groups and refers to it by identifier.
    let Some(Resource::DbInstance(r)) = stack.resource(replica.id()).map(|e| &e.resource) else { panic!("replica") };
    assert_eq!(r.source_db_instance, Some(db.instance.identifier()));
    assert_eq!(r.security_group_ids, vec![db.security_group.group_id()]);
    assert!(r.is_replica());
    // The cache's group admits the named tier, by group, on 6379, and nothing else.
    let rule = stack.resources().find(|e| e.id.as_str() == "CacheFromApp").expect("rule");
    let Resource::SecurityGroupIngress(rule) = &rule.resource else { panic!("ingress rule") };
    assert_eq!(rule.rule.from_port, 6379);
    assert!(matches!(&rule.rule.peer, Peer::Group(Value::Lit(g)) if g == "sg-app"));
}

#[test]
fn a_replica_replicates_an_rds_instance_of_its_engine() {
    let mut s = StackBuilder::new("demo", "dev");
    let net = network(&mut s);
    let db = Database::create(
        &mut s,
        DatabaseProps {
            name: "Db",
            network: &net,
            engine: Engine::Mysql,
            engine_version: "8.4.7".into(),
            family: "mysql8.4".into(),
            parameters: IndexMap::new(),
            instance_class: "db.t4g.small".into(),
            allocated_storage_gib: 20,
            max_allocated_storage_gib: None,
            backup_retention_days: 7,
            multi_az: false,
            identifier: None,
            db_name: "app".into(),
            master_username: "app".into(),
            monitoring_interval: 0,
        },
    );
    let replica = db.add_read_replica(&mut s, "1", None, false);
    let template = match &s.build().unwrap().resource(replica.id()).unwrap().resource {
        Resource::DbInstance(r) => r.clone(),
        _ => unreachable!("a replica"),
    };
    let mut s = StackBuilder::new("demo", "dev");
    let net = network(&mut s);
    let _ = Database::create(
        &mut s,
        DatabaseProps {
            name: "Db",
            network: &net,
            engine: Engine::Mysql,
            engine_version: "8.4.7".into(),
            family: "mysql8.4".into(),
            parameters: IndexMap::new(),
            instance_class: "db.t4g.small".into(),
            allocated_storage_gib: 20,
            max_allocated_storage_gib: None,
            backup_retention_days: 7,
            multi_az: false,
            identifier: None,
            db_name: "app".into(),
            master_username: "app".into(),
            monitoring_interval: 0,
        },
    );
    s.add("Postgres", DbInstance { engine: Engine::Postgres, ..template.clone() });
    let chained = s.add("Chained", template.clone());
    s.add("OfAReplica", DbInstance { source_db_instance: Some(chained.identifier()), ..template.clone() });
    s.add("OfAGroup", DbInstance { source_db_instance: Some(net.vpc_id.clone()), ..template });
    let stack = s.build().unwrap();
    let at = |id: &str| format!("demo/{id}/SourceDBInstanceIdentifier");
    assert!(has(&stack, "IAC113", &at("Postgres")), "{:?}", codes(&stack));
    assert!(has(&stack, "IAC113", &at("OfAReplica")));
    assert!(has(&stack, "IAC113", &at("OfAGroup")));
    assert!(!has(&stack, "IAC113", &at("Chained")), "a replica of the primary is fine");
}
