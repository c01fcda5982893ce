//! The RDS service module on a local moto server: subnet group, parameter group (static
//! parameters pending reboot) and a MySQL instance created with every property, read back equal
//! to the template, found by tags, updated in place, and deleted with a final snapshot; and a
//! read replica of it, made as a replica (never a primary), updated in place, replaced when its
//! source changes, deleted without a final snapshot and without `--allow-data-loss`.

mod common;

use std::collections::HashMap;

use common::ZONES;
use iac_aws::desired;
use iac_aws::services::{self, Ctx, rds};
use iac_aws::state::{Observed, Tags};
use iac_core::model::{DbInstance, DbParameterGroup, DbSubnetGroup, Engine, MasterPassword};
use iac_core::{LogicalId, Stack, StackBuilder, Value};
use serde_json::{Map, Value as Json};

struct Network {
    subnets: Vec<String>,
    security_group: String,
}

async fn network(clients: &iac_aws::Clients) -> Network {
    let vpc = clients.ec2.create_vpc().cidr_block("10.20.0.0/16").send().await.expect("create_vpc");
    let vpc_id = vpc.vpc().and_then(|v| v.vpc_id()).expect("vpc id").to_owned();
    let mut subnets = Vec::new();
    for (k, zone) in ZONES.iter().take(2).enumerate() {
        let out = clients
            .ec2
            .create_subnet()
            .vpc_id(&vpc_id)
            .cidr_block(format!("10.20.{k}.0/24"))
            .availability_zone(*zone)
            .send()
            .await
            .expect("create_subnet");
        subnets.push(out.subnet().and_then(|s| s.subnet_id()).expect("subnet id").to_owned());
    }
    let sg = clients
        .ec2
        .create_security_group()
        .group_name("db")
        .description("db")
        .vpc_id(&vpc_id)
        .send()
        .await
        .expect("create_security_group");
    Network { subnets, security_group: sg.group_id().expect("group id").to_owned() }
}

/// The stack under test; `edit` changes the instance or the parameters.
fn stack(net: &Network, edit: impl Fn(&mut DbInstance, &mut DbParameterGroup)) -> Stack {
    stack_with_replica(net, edit, |_| {}, false)
}

/// The stack under test, with a read replica `DbReplica` of `Db` (as the `Database` pattern makes
/// one) when `replica`, changed by `edit_replica`.
fn stack_with_replica(
    net: &Network,
    edit: impl Fn(&mut DbInstance, &mut DbParameterGroup),
    edit_replica: impl Fn(&mut DbInstance),
    replica: bool,
) -> Stack {
    let mut b = StackBuilder::new("shop", "test");
    let mut params = DbParameterGroup {
        description: "shop test parameters".into(),
        family: "mysql8.0".into(),
        parameters: [
            ("innodb_log_file_size".to_owned(), "268435456".to_owned()),
            ("max_connections".to_owned(), "200".to_owned()),
        ]
        .into_iter()
        .collect(),
    };
    let mut db = DbInstance {
        identifier: None,
        engine: Engine::Mysql,
        engine_version: "8.0.39".into(),
        instance_class: "db.t4g.micro".into(),
        allocated_storage_gib: 20,
        max_allocated_storage_gib: Some(100),
        storage_type: "gp3".into(),
        storage_encrypted: true,
        multi_az: false,
        publicly_accessible: false,
        backup_retention_days: 7,
        deletion_protection: true,
        db_name: Some("shop".into()),
        master_username: "shop".into(),
        master_password: MasterPassword::ManagedByRds,
        port: Some(3306),
        security_group_ids: vec![Value::from(net.security_group.as_str())],
        subnet_group_name: "placeholder".into(),
        parameter_group_name: None,
        iam_authentication: true,
        performance_insights: true,
        monitoring: Some((60, Value::from("arn:aws:iam::123456789012:role/shop-test-monitoring"))),
        log_exports: Engine::Mysql.log_exports(),
        auto_minor_version_upgrade: true,
        copy_tags_to_snapshot: true,
        source_db_instance: None,
    };
    edit(&mut db, &mut params);
    let subnets = b.add(
        "DbSubnets",
        DbSubnetGroup {
            description: "shop test private subnets".into(),
            subnet_ids: net.subnets.iter().map(Value::from).collect(),
        },
    );
    let params = b.add("DbParams", params);
    db.subnet_group_name = subnets.name();
    db.parameter_group_name = Some(params.name());
    let mut copy = DbInstance {
        identifier: None,
        allocated_storage_gib: 0,
        max_allocated_storage_gib: None,
        multi_az: false,
        backup_retention_days: 0,
        db_name: None,
        master_username: String::new(),
        source_db_instance: None,
        ..db.clone()
    };
    let primary = b.add("Db", db);
    if replica {
        copy.source_db_instance = Some(primary.identifier());
        edit_replica(&mut copy);
        b.add("DbReplica", copy);
    }
    b.build().expect("stack builds")
}

/// The resolved properties of `id` and the tags the engine would put on it.
fn desired(stack: &Stack, observed: &HashMap<LogicalId, Observed>, id: &str) -> (Json, Map<String, Json>, Tags) {
    let (props, tags) = common::desired(stack, observed, id);
    let map = props.as_object().cloned().unwrap_or_default();
    (props, map, tags)
}

fn entry<'a>(stack: &'a Stack, id: &str) -> &'a iac_core::model::ResourceEntry {
    stack.resource(&LogicalId::new(id).expect("id")).expect("entry")
}

#[tokio::test]
#[allow(clippy::too_many_lines)] // one scenario, step by step
async fn rds_create_discover_update_delete_with_final_snapshot() {
    let Some(moto) = common::Moto::start() else { return };
    moto.reset();
    let clients = moto.clients().await;
    let net = network(&clients).await;
    let stack1 = stack(&net, |_, _| {});
    let ctx = Ctx { clients: &clients, stack: &stack1, timing: common::fast() };
    let mut observed: HashMap<LogicalId, Observed> = HashMap::new();

    // Create the three, in dependency order.
    for id in ["DbSubnets", "DbParams", "Db"] {
        let (props, map, tags) = desired(&stack1, &observed, id);
        let o = services::create(&ctx, entry(&stack1, id), &map, &tags)
            .await
            .unwrap_or_else(|e| panic!("create {id}: {e}"));
        assert_eq!(o.id.as_str(), id);
        let diff = desired::changed(&props, &o.props);
        assert!(diff.is_empty(), "{id}: read back differs in {diff:?}: {:?}", o.props);
        observed.insert(o.id.clone(), o);
    }
    let db = &observed[&LogicalId::new("Db").unwrap()];
    assert_eq!(db.cfn_type, "AWS::RDS::DBInstance");
    assert_eq!(db.physical_id, "shop-test-db");
    assert_eq!(db.attrs["Ref"], "shop-test-db");
    assert!(db.attrs["Endpoint.Address"].starts_with("shop-test-db."), "{:?}", db.attrs);
    assert_eq!(db.attrs["Endpoint.Port"], "3306");
    assert!(db.attrs["DBInstanceArn"].starts_with("arn:aws:rds:us-east-1:123456789012:db:shop-test-db"));
    assert!(db.attrs["MasterUserSecret.SecretArn"].starts_with("arn:aws:secretsmanager:"), "{:?}", db.attrs);
    assert_eq!(db.props["AllocatedStorage"], Json::String("20".into()));
    assert_eq!(observed[&LogicalId::new("DbSubnets").unwrap()].attrs["Ref"], "shop-test-db-subnets");
    assert_eq!(observed[&LogicalId::new("DbParams").unwrap()].attrs["Ref"], "shop-test-db-params");

    // Every property of the template reached RDS.
    let described =
        clients.rds.describe_db_instances().db_instance_identifier("shop-test-db").send().await.expect("describe");
    let d = &described.db_instances()[0];
    assert_eq!(d.db_name(), Some("shop"));
    assert_eq!(d.master_username(), Some("shop"));
    assert_eq!(d.db_subnet_group().and_then(|g| g.db_subnet_group_name()), Some("shop-test-db-subnets"));
    assert_eq!(d.db_parameter_groups()[0].db_parameter_group_name(), Some("shop-test-db-params"));
    assert_eq!(d.monitoring_interval(), Some(60));
    assert_eq!(d.monitoring_role_arn(), Some("arn:aws:iam::123456789012:role/shop-test-monitoring"));
    assert_eq!(d.max_allocated_storage(), Some(100));
    assert_eq!(d.deletion_protection(), Some(true));
    // (moto reports neither IAMDatabaseAuthenticationEnabled nor PerformanceInsightsEnabled.)
    assert_eq!(d.copy_tags_to_snapshot(), Some(true));
    let mut logs = d.enabled_cloudwatch_logs_exports().to_vec();
    logs.sort();
    assert_eq!(logs, ["error", "general", "slowquery"]);
    assert!(d.tag_list().iter().any(|t| t.key() == Some("iac:id") && t.value() == Some("Db")));

    // The static parameter waits for a reboot; the dynamic one applies at once.
    let params = clients
        .rds
        .describe_db_parameters()
        .db_parameter_group_name("shop-test-db-params")
        .send()
        .await
        .expect("parameters");
    let method = |name: &str| {
        params.parameters().iter().find(|p| p.parameter_name() == Some(name)).and_then(|p| p.apply_method().cloned())
    };
    assert_eq!(method("innodb_log_file_size"), Some(aws_sdk_rds::types::ApplyMethod::PendingReboot));
    assert_eq!(method("max_connections"), Some(aws_sdk_rds::types::ApplyMethod::Immediate));

    // Discovery finds all three by their tags, with the logical id and the hash.
    let found = rds::discover(&ctx).await.expect("discover");
    assert_eq!(found.len(), 3, "{found:?}");
    for o in &found {
        let (props, _, tags) = desired(&stack1, &observed, o.id.as_str());
        let hash = tags.iter().find(|(k, _)| k == "iac:hash").map(|(_, v)| v.clone());
        assert_eq!(o.hash, hash, "{} hash", o.id);
        assert!(desired::changed(&props, &o.props).is_empty(), "{}: {:?}", o.id, desired::changed(&props, &o.props));
    }

    // A stack of another environment does not see them.
    let other = StackBuilder::new("shop", "prod").build().expect("stack");
    let other_ctx = Ctx { clients: &clients, stack: &other, timing: common::fast() };
    assert!(rds::discover(&other_ctx).await.expect("discover").is_empty());

    // Update in place: class, storage up, backups, Multi-AZ, deletion protection, logs,
    // monitoring; a parameter changed and one removed... (moto has no ResetDBParameterGroup, so
    // only changed here).
    let stack2 = stack(&net, |db, params| {
        db.instance_class = "db.t4g.small".into();
        db.allocated_storage_gib = 30;
        db.max_allocated_storage_gib = Some(200);
        db.backup_retention_days = 14;
        db.multi_az = true;
        db.deletion_protection = false;
        db.log_exports = vec!["error".into()];
        db.monitoring = None;
        params.parameters.insert("innodb_log_file_size".into(), "536870912".into());
    });
    let ctx2 = Ctx { clients: &clients, stack: &stack2, timing: common::fast() };
    for id in ["DbParams", "Db"] {
        let (props, map, tags) = desired(&stack2, &observed, id);
        let current = observed[&LogicalId::new(id).unwrap()].clone();
        let o = services::update(&ctx2, entry(&stack2, id), &current, &map, &tags)
            .await
            .unwrap_or_else(|e| panic!("update {id}: {e}"));
        let diff = desired::changed(&props, &o.props);
        assert!(diff.is_empty(), "{id}: after update differs in {diff:?}");
        assert_eq!(o.hash, tags.iter().find(|(k, _)| k == "iac:hash").map(|(_, v)| v.clone()));
        observed.insert(o.id.clone(), o);
    }
    let d = clients.rds.describe_db_instances().db_instance_identifier("shop-test-db").send().await.expect("describe");
    let d = &d.db_instances()[0];
    assert_eq!(d.db_instance_class(), Some("db.t4g.small"));
    assert_eq!(d.allocated_storage(), Some(30));
    assert_eq!(d.max_allocated_storage(), Some(200));
    assert_eq!(d.backup_retention_period(), Some(14));
    assert_eq!(d.multi_az(), Some(true));
    assert_eq!(d.deletion_protection(), Some(false));
    assert_eq!(d.monitoring_interval().unwrap_or(0), 0);
    assert_eq!(d.enabled_cloudwatch_logs_exports(), ["error"]);
    let hash = |tags: &[aws_sdk_rds::types::Tag]| {
        tags.iter().find(|t| t.key() == Some("iac:hash")).and_then(|t| t.value().map(str::to_owned))
    };
    assert_eq!(hash(d.tag_list()), observed[&LogicalId::new("Db").unwrap()].hash, "the hash tag was rewritten");
    let params = clients
        .rds
        .describe_db_parameters()
        .db_parameter_group_name("shop-test-db-params")
        .send()
        .await
        .expect("parameters");
    let value = params
        .parameters()
        .iter()
        .find(|p| p.parameter_name() == Some("innodb_log_file_size"))
        .and_then(|p| p.parameter_value());
    assert_eq!(value, Some("536870912"));

    // Storage never shrinks.
    let smaller = stack(&net, |db, _| db.allocated_storage_gib = 10);
    let ctx3 = Ctx { clients: &clients, stack: &smaller, timing: common::fast() };
    let (_, map, tags) = desired(&smaller, &observed, "Db");
    let current = observed[&LogicalId::new("Db").unwrap()].clone();
    let err = services::update(&ctx3, entry(&smaller, "Db"), &current, &map, &tags)
        .await
        .expect_err("shrinking storage is refused");
    assert!(err.to_string().contains("AllocatedStorage"), "{err}");

    // Delete the instance: deletion protection goes off, a final snapshot is taken, it is gone.
    // Turn protection back on first, as a real stack would have it.
    clients
        .rds
        .modify_db_instance()
        .db_instance_identifier("shop-test-db")
        .deletion_protection(true)
        .apply_immediately(true)
        .send()
        .await
        .expect("protect");
    let db = observed[&LogicalId::new("Db").unwrap()].clone();
    services::delete(&ctx2, &db).await.expect("delete instance");
    let gone = clients.rds.describe_db_instances().db_instance_identifier("shop-test-db").send().await;
    assert!(gone.is_err(), "the instance still exists");
    let snapshots =
        clients.rds.describe_db_snapshots().db_instance_identifier("shop-test-db").send().await.expect("snapshots");
    let finals: Vec<&str> = snapshots
        .db_snapshots()
        .iter()
        .filter_map(|s| s.db_snapshot_identifier())
        .filter(|s| s.starts_with("shop-test-db-final-"))
        .collect();
    assert_eq!(finals.len(), 1, "one final snapshot: {:?}", snapshots.db_snapshots());
    let seconds = finals[0].trim_start_matches("shop-test-db-final-");
    assert!(seconds.parse::<u64>().is_ok_and(|s| s > 1_700_000_000), "{}", finals[0]);
    services::delete(&ctx2, &db).await.expect("second delete of the instance succeeds");

    // Then the groups, each twice.
    for id in ["DbParams", "DbSubnets"] {
        let o = observed[&LogicalId::new(id).unwrap()].clone();
        services::delete(&ctx2, &o).await.unwrap_or_else(|e| panic!("delete {id}: {e}"));
        services::delete(&ctx2, &o).await.unwrap_or_else(|e| panic!("second delete {id}: {e}"));
    }
    assert!(rds::discover(&ctx2).await.expect("discover").is_empty());
    assert!(clients.rds.describe_db_subnet_groups().db_subnet_group_name("shop-test-db-subnets").send().await.is_err());
    let groups = clients.rds.describe_db_parameter_groups().db_parameter_group_name("shop-test-db-params").send().await;
    assert!(
        groups.is_err() || groups.is_ok_and(|g| g.db_parameter_groups().is_empty()),
        "the parameter group still exists"
    );
}

#[test]
fn replacement_properties_cover_identity_and_encryption() {
    let r = services::replaced_by("AWS::RDS::DBInstance");
    for p in ["DBInstanceIdentifier", "Engine", "DBName", "MasterUsername", "StorageEncrypted"] {
        assert!(r.contains(&p), "{p}");
    }
    assert!(!r.contains(&"DBInstanceClass"));
    assert!(!r.contains(&"AllocatedStorage"));
    assert!(services::replaced_by("AWS::RDS::DBParameterGroup").contains(&"Family"));
}

#[tokio::test]
#[allow(clippy::too_many_lines)] // one scenario, step by step
async fn read_replica_is_made_as_a_replica_and_deleted_without_a_snapshot() {
    let Some(moto) = common::Moto::start() else { return };
    moto.reset();
    let clients = moto.clients().await;
    let net = network(&clients).await;
    // The primary is Multi-AZ, the replica not: RDS (and moto) copy some settings from the
    // source, and the adapter then brings the replica to its template.
    let stack1 = stack_with_replica(&net, |db, _| db.multi_az = true, |_| {}, true);
    let ctx = Ctx { clients: &clients, stack: &stack1, timing: common::fast() };
    let mut observed: HashMap<LogicalId, Observed> = HashMap::new();
    for id in ["DbSubnets", "DbParams", "Db", "DbReplica"] {
        let (props, map, tags) = desired(&stack1, &observed, id);
        let o = services::create(&ctx, entry(&stack1, id), &map, &tags)
            .await
            .unwrap_or_else(|e| panic!("create {id}: {e}"));
        let diff = desired::changed(&props, &o.props);
        assert!(diff.is_empty(), "{id}: read back differs in {diff:?}: {:?}", o.props);
        observed.insert(o.id.clone(), o);
    }
    let (props, _, _) = desired(&stack1, &observed, "DbReplica");
    assert_eq!(props["SourceDBInstanceIdentifier"], Json::String("shop-test-db".into()));
    assert!(props.get("AllocatedStorage").is_none() && props.get("MasterUsername").is_none(), "{props}");
    let replica = &observed[&LogicalId::new("DbReplica").unwrap()];
    assert_eq!(replica.props["SourceDBInstanceIdentifier"], Json::String("shop-test-db".into()));
    assert!(replica.attrs["Endpoint.Address"].starts_with("shop-test-db-replica."), "{:?}", replica.attrs);

    // A replica, never a primary: RDS says so from both sides.
    let d = clients.rds.describe_db_instances().db_instance_identifier("shop-test-db-replica").send().await.expect("d");
    let d = &d.db_instances()[0];
    assert_eq!(d.read_replica_source_db_instance_identifier(), Some("shop-test-db"));
    assert_eq!(d.multi_az(), Some(false), "brought to its template after creation");
    assert!(d.tag_list().iter().any(|t| t.key() == Some("iac:id") && t.value() == Some("DbReplica")));
    let p = clients.rds.describe_db_instances().db_instance_identifier("shop-test-db").send().await.expect("d");
    assert_eq!(p.db_instances()[0].read_replica_db_instance_identifiers(), ["shop-test-db-replica"]);

    // Discovery finds it, equal to the template; a replica holds no data of its own.
    let found = rds::discover(&ctx).await.expect("discover");
    let o = found.iter().find(|o| o.id.as_str() == "DbReplica").expect("found");
    assert!(desired::changed(&props, &o.props).is_empty(), "{:?}", desired::changed(&props, &o.props));
    assert!(!entry(&stack1, "DbReplica").resource.is_stateful());
    assert!(entry(&stack1, "Db").resource.is_stateful());

    // In place: a larger class.
    let stack2 =
        stack_with_replica(&net, |db, _| db.multi_az = true, |r| r.instance_class = "db.t4g.small".into(), true);
    let ctx2 = Ctx { clients: &clients, stack: &stack2, timing: common::fast() };
    let (props, map, tags) = desired(&stack2, &observed, "DbReplica");
    let current = observed[&LogicalId::new("DbReplica").unwrap()].clone();
    assert_eq!(desired::changed(&props, &current.props), ["DBInstanceClass"]);
    let o = services::update(&ctx2, entry(&stack2, "DbReplica"), &current, &map, &tags).await.expect("update");
    assert!(desired::changed(&props, &o.props).is_empty());
    observed.insert(o.id.clone(), o);

    // Drift made by hand: the class changed back.
    clients
        .rds
        .modify_db_instance()
        .db_instance_identifier("shop-test-db-replica")
        .db_instance_class("db.t4g.micro")
        .apply_immediately(true)
        .send()
        .await
        .expect("modify");
    let found = rds::discover(&ctx2).await.expect("discover");
    let o = found.iter().find(|o| o.id.as_str() == "DbReplica").expect("found");
    assert_eq!(desired::changed(&props, &o.props), ["DBInstanceClass"]);

    // A new source replaces it, for the spec's reason (and is no data loss).
    let mut moved = props.clone();
    moved["SourceDBInstanceIdentifier"] = Json::String("another-db".into());
    let changes = desired::changed(&moved, &o.props);
    assert!(changes.contains(&"SourceDBInstanceIdentifier".to_owned()), "{changes:?}");
    let reason = iac_core::model::spec::by_cloudformation_type("AWS::RDS::DBInstance")
        .and_then(|k| k.replacement("SourceDBInstanceIdentifier"))
        .map(iac_core::model::spec::Replacement::reason)
        .expect("a replacement trigger");
    assert!(reason.contains("replica"), "{reason}");

    // Delete: no final snapshot of a replica (RDS refuses one), gone; twice.
    let replica = observed[&LogicalId::new("DbReplica").unwrap()].clone();
    services::delete(&ctx2, &replica).await.expect("delete the replica");
    services::delete(&ctx2, &replica).await.expect("second delete of the replica");
    assert!(clients.rds.describe_db_instances().db_instance_identifier("shop-test-db-replica").send().await.is_err());
    let snapshots = clients.rds.describe_db_snapshots().send().await.expect("snapshots");
    assert!(
        snapshots.db_snapshots().iter().all(|s| s.db_instance_identifier() != Some("shop-test-db-replica")),
        "{:?}",
        snapshots.db_snapshots()
    );
    // The primary still gets its final snapshot.
    let db = observed[&LogicalId::new("Db").unwrap()].clone();
    services::delete(&ctx2, &db).await.expect("delete the primary");
    let snapshots =
        clients.rds.describe_db_snapshots().db_instance_identifier("shop-test-db").send().await.expect("snapshots");
    assert_eq!(snapshots.db_snapshots().len(), 1);
}
