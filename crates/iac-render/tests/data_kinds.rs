//! The data and delivery kinds (ElastiCache, S3, CloudFront, scheduled actions, RDS read
//! replicas) rendered to CloudFormation and Terraform, through the patterns that use them.

use hcl::{Block, BlockLabel, Body, Expression};
use iac_core::Stack;
use iac_core::model::{Bucket, BucketEncryption, Engine, LifecycleRule, ObjectOwnership, PriceClass, ScheduledAction};
use iac_core::patterns::{AssetCdn, AssetCdnProps, Cache, CacheProps, Database, DatabaseProps, Network, NetworkProps};
use iac_core::stack::StackBuilder;
use iac_core::value::Value;
use iac_render::{Format, cloudformation, terraform};
use indexmap::IndexMap;
use serde_json::{Value as Json, json};

fn stack(with_alias: bool) -> Stack {
    let mut s = StackBuilder::new("demo", "dev");
    let network = Network::create(
        &mut s,
        &NetworkProps { cidr: "10.20.0.0/16".parse().unwrap(), zones: 2, subnet_prefix: 20, nat_per_zone: false },
    );
    let db = Database::create(
        &mut s,
        DatabaseProps {
            name: "Database",
            network: &network,
            engine: Engine::Mysql,
            engine_version: "8.4.7".into(),
            family: "mysql8.4".into(),
            parameters: IndexMap::from([("character_set_server".to_owned(), "utf8mb4".to_owned())]),
            instance_class: "db.t4g.medium".into(),
            allocated_storage_gib: 50,
            max_allocated_storage_gib: None,
            backup_retention_days: 7,
            multi_az: true,
            identifier: Some("primary".into()),
            db_name: "location".into(),
            master_username: "location".into(),
            monitoring_interval: 0,
        },
    );
    let replica = db.add_read_replica(&mut s, "1", Some("db.t4g.small"), false);
    let cache = Cache::create(
        &mut s,
        CacheProps {
            name: "Cache",
            network: &network,
            engine_version: "7.1".into(),
            family: "redis7".into(),
            parameters: IndexMap::from([("maxmemory-policy".to_owned(), "volatile-lru".to_owned())]),
            node_type: "cache.t4g.small".into(),
            replicas: 2,
            multi_az: true,
            snapshot_retention_days: 5,
            auth_token: None,
        },
    );
    let cdn = AssetCdn::create(
        &mut s,
        AssetCdnProps {
            name: "Assets",
            bucket_name: Some("demo-assets".into()),
            lifecycle_rules: vec![LifecycleRule {
                id: "exports".into(),
                prefix: "export/".into(),
                expiration_days: Some(2),
                noncurrent_expiration_days: Some(1),
                abort_incomplete_upload_days: Some(1),
            }],
            aliases: if with_alias { vec!["assets.example.org".into()] } else { Vec::new() },
            certificate_arn: with_alias.then(|| Value::from("arn:aws:acm:us-east-1:123456789012:certificate/abc")),
            price_class: PriceClass::PriceClass100,
            default_root_object: Some("index.html".into()),
        },
    );
    cdn.alias_record(&mut s, "AssetsRecord", "Z123", "assets.example.org");
    s.add(
        "Backup",
        Bucket {
            name: None,
            encryption: BucketEncryption::Kms { key_id: None },
            block_public_access: true,
            versioning: false,
            object_ownership: ObjectOwnership::BucketOwnerEnforced,
            lifecycle_rules: Vec::new(),
        },
    );
    s.add(
        "NightOff",
        ScheduledAction {
            auto_scaling_group_name: "demo-hosts".into(),
            recurrence: "0 22 * * *".into(),
            time_zone: Some("Europe/London".into()),
            min_size: Some(0),
            max_size: Some(0),
            desired_capacity: Some(0),
        },
    );
    s.output("Replica", "read replica", replica.endpoint_address());
    s.output("Cache", "primary", cache.primary_endpoint());
    s.output("CacheReader", "reader", cache.group.reader_endpoint_address());
    s.output("Cdn", "cdn", cdn.distribution.domain_name());
    s.output("AssetBucket", "bucket", cdn.bucket.name());
    let stack = s.build().unwrap();
    let problems = iac_core::validate::validate(&stack);
    assert!(problems.is_empty(), "{problems:#?}");
    stack
}

fn cfn(stack: &Stack) -> Json {
    serde_json::from_str(&cloudformation::render(stack, Format::Json).unwrap()).unwrap()
}

#[test]
fn read_replica_leaves_out_what_it_inherits() {
    let t = cfn(&stack(true));
    let r = &t["Resources"]["DatabaseReplica1"];
    let p = &r["Properties"];
    assert_eq!(p["SourceDBInstanceIdentifier"], json!({ "Ref": "DatabaseInstance" }));
    assert_eq!(p["DBInstanceClass"], "db.t4g.small");
    assert_eq!(p["DBParameterGroupName"], json!({ "Ref": "DatabaseParameterGroup" }));
    for absent in ["MasterUsername", "ManageMasterUserPassword", "DBName", "StorageEncrypted", "AllocatedStorage"] {
        assert!(p.get(absent).is_none(), "{absent} on a replica: {p}");
    }
    assert!(r.get("DeletionPolicy").is_none(), "a replica holds no data of its own");
    assert_eq!(t["Resources"]["DatabaseInstance"]["DeletionPolicy"], "Snapshot");
    assert_eq!(t["Outputs"]["Replica"]["Value"], json!({ "Fn::GetAtt": ["DatabaseReplica1", "Endpoint.Address"] }));

    let tf = terraform::render(&stack(true)).unwrap();
    let body = hcl::parse(&tf.main_tf).unwrap();
    let replica = block(&body, "aws_db_instance", "database_replica1");
    assert_eq!(
        attr(replica, "replicate_source_db").unwrap().to_string(),
        "aws_db_instance.database_instance.identifier"
    );
    assert_eq!(attr(replica, "skip_final_snapshot"), Some(&Expression::Bool(true)));
    for absent in
        ["username", "manage_master_user_password", "db_name", "allocated_storage", "final_snapshot_identifier"]
    {
        assert!(attr(replica, absent).is_none(), "{absent} on a replica");
    }
    assert!(nested(replica, "lifecycle").is_empty());
}

#[test]
fn cache_is_private_encrypted_multi_az_and_kept() {
    let t = cfn(&stack(true));
    let r = &t["Resources"]["CacheReplicationGroup"];
    assert_eq!(r["DeletionPolicy"], "Snapshot");
    assert_eq!(r["UpdateReplacePolicy"], "Snapshot");
    let p = &r["Properties"];
    assert_eq!(p["Engine"], "redis");
    assert_eq!(p["NumCacheClusters"], 3);
    assert_eq!(p["MultiAZEnabled"], true);
    assert_eq!(p["AutomaticFailoverEnabled"], true);
    assert_eq!(p["AtRestEncryptionEnabled"], true);
    assert_eq!(p["TransitEncryptionEnabled"], true);
    assert_eq!(p["TransitEncryptionMode"], "required");
    assert_eq!(p["SnapshotRetentionLimit"], 5);
    assert_eq!(p["CacheSubnetGroupName"], json!({ "Ref": "CacheSubnetGroup" }));
    assert_eq!(p["CacheParameterGroupName"], json!({ "Ref": "CacheParameterGroup" }));
    assert_eq!(p["SecurityGroupIds"][0], json!({ "Fn::GetAtt": ["CacheSecurityGroup", "GroupId"] }));
    assert!(t["Resources"]["CacheSecurityGroup"]["Properties"].get("SecurityGroupIngress").is_none());
    let pg = &t["Resources"]["CacheParameterGroup"]["Properties"];
    assert_eq!(pg["CacheParameterGroupFamily"], "redis7");
    assert_eq!(pg["Properties"]["maxmemory-policy"], "volatile-lru");
    assert_eq!(
        t["Outputs"]["Cache"]["Value"],
        json!({ "Fn::GetAtt": ["CacheReplicationGroup", "PrimaryEndPoint.Address"] })
    );
    assert_eq!(
        t["Outputs"]["CacheReader"]["Value"],
        json!({ "Fn::GetAtt": ["CacheReplicationGroup", "ReaderEndPoint.Address"] })
    );

    let tf = terraform::render(&stack(true)).unwrap();
    let body = hcl::parse(&tf.main_tf).unwrap();
    let g = block(&body, "aws_elasticache_replication_group", "cache_replication_group");
    assert_eq!(attr(g, "replication_group_id"), Some(&Expression::String("demo-dev-cache-replication-group".into())));
    assert_eq!(attr(g, "num_cache_clusters").unwrap().to_string(), "3");
    assert_eq!(attr(g, "multi_az_enabled"), Some(&Expression::Bool(true)));
    assert_eq!(attr(g, "transit_encryption_mode"), Some(&Expression::String("required".into())));
    assert_eq!(
        attr(g, "subnet_group_name").unwrap().to_string(),
        "aws_elasticache_subnet_group.cache_subnet_group.name"
    );
    assert_eq!(attr(nested(g, "lifecycle")[0], "prevent_destroy"), Some(&Expression::Bool(true)));
    assert!(tf.main_tf.contains("#checkov:skip=CKV_AWS_31:"), "the missing AUTH token is explained");
    let pg = block(&body, "aws_elasticache_parameter_group", "cache_parameter_group");
    assert_eq!(attr(nested(pg, "parameter")[0], "name"), Some(&Expression::String("maxmemory-policy".into())));
    let out = tf.outputs_tf;
    assert!(
        out.contains("aws_elasticache_replication_group.cache_replication_group.primary_endpoint_address"),
        "{out}"
    );
    assert!(out.contains("aws_elasticache_replication_group.cache_replication_group.reader_endpoint_address"));
}

#[test]
fn buckets_are_encrypted_private_and_retained() {
    let t = cfn(&stack(true));
    let b = &t["Resources"]["AssetsBucket"];
    assert_eq!(b["DeletionPolicy"], "Retain");
    assert_eq!(b["UpdateReplacePolicy"], "Retain");
    let p = &b["Properties"];
    assert_eq!(p["BucketName"], "demo-assets");
    assert_eq!(
        p["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"]["SSEAlgorithm"],
        "AES256"
    );
    for key in ["BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"] {
        assert_eq!(p["PublicAccessBlockConfiguration"][key], true, "{key}");
    }
    assert_eq!(p["OwnershipControls"]["Rules"][0]["ObjectOwnership"], "BucketOwnerEnforced");
    assert_eq!(p["VersioningConfiguration"]["Status"], "Enabled");
    let rule = &p["LifecycleConfiguration"]["Rules"][0];
    assert_eq!(rule["Prefix"], "export/");
    assert_eq!(rule["ExpirationInDays"], 2);
    assert_eq!(rule["NoncurrentVersionExpiration"]["NoncurrentDays"], 1);
    assert_eq!(rule["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"], 1);
    let backup = &t["Resources"]["Backup"]["Properties"];
    assert!(backup.get("BucketName").is_none(), "CloudFormation names an unnamed bucket");
    let by_default = &backup["BucketEncryption"]["ServerSideEncryptionConfiguration"][0];
    assert_eq!(by_default["ServerSideEncryptionByDefault"]["SSEAlgorithm"], "aws:kms");
    assert_eq!(by_default["BucketKeyEnabled"], true);

    let tf = terraform::render(&stack(true)).unwrap();
    let body = hcl::parse(&tf.main_tf).unwrap();
    let bucket = block(&body, "aws_s3_bucket", "assets_bucket");
    assert_eq!(attr(bucket, "bucket"), Some(&Expression::String("demo-assets".into())));
    assert_eq!(attr(nested(bucket, "lifecycle")[0], "prevent_destroy"), Some(&Expression::Bool(true)));
    let id = "aws_s3_bucket.assets_bucket.id";
    for ty in [
        "aws_s3_bucket_server_side_encryption_configuration",
        "aws_s3_bucket_public_access_block",
        "aws_s3_bucket_ownership_controls",
        "aws_s3_bucket_versioning",
        "aws_s3_bucket_lifecycle_configuration",
    ] {
        assert_eq!(attr(block(&body, ty, "assets_bucket"), "bucket").unwrap().to_string(), id, "{ty}");
    }
    let pab = block(&body, "aws_s3_bucket_public_access_block", "assets_bucket");
    for key in ["block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"] {
        assert_eq!(attr(pab, key), Some(&Expression::Bool(true)), "{key}");
    }
    let lc = block(&body, "aws_s3_bucket_lifecycle_configuration", "assets_bucket");
    let rule = nested(lc, "rule")[0];
    assert_eq!(attr(nested(rule, "filter")[0], "prefix"), Some(&Expression::String("export/".into())));
    assert_eq!(attr(nested(rule, "expiration")[0], "days").unwrap().to_string(), "2");
    let backup = block(&body, "aws_s3_bucket", "backup");
    assert_eq!(attr(backup, "bucket_prefix"), Some(&Expression::String("demo-dev-backup-".into())));
    assert!(
        body.blocks().all(|b| b.labels().get(1).map(BlockLabel::as_str) != Some("backup")
            || b.labels()[0].as_str() != "aws_s3_bucket_lifecycle_configuration"),
        "no lifecycle resource without rules"
    );
}

#[test]
fn cdn_reads_the_private_bucket_through_origin_access_control() {
    let t = cfn(&stack(true));
    let r = &t["Resources"];
    let oac = &r["AssetsOriginAccessControl"]["Properties"]["OriginAccessControlConfig"];
    assert_eq!(oac["OriginAccessControlOriginType"], "s3");
    assert_eq!(oac["SigningBehavior"], "always");
    assert_eq!(oac["SigningProtocol"], "sigv4");
    let d = &r["AssetsDistribution"]["Properties"]["DistributionConfig"];
    assert_eq!(d["Origins"][0]["DomainName"], json!({ "Fn::GetAtt": ["AssetsBucket", "RegionalDomainName"] }));
    assert_eq!(d["Origins"][0]["OriginAccessControlId"], json!({ "Ref": "AssetsOriginAccessControl" }));
    let behavior = &d["DefaultCacheBehavior"];
    assert_eq!(behavior["ViewerProtocolPolicy"], "redirect-to-https");
    assert_eq!(behavior["CachePolicyId"], iac_core::model::CACHING_OPTIMIZED);
    assert_eq!(d["Aliases"], json!(["assets.example.org"]));
    assert_eq!(d["DefaultRootObject"], "index.html");
    assert_eq!(d["PriceClass"], "PriceClass_100");
    assert_eq!(d["ViewerCertificate"]["MinimumProtocolVersion"], "TLSv1.2_2021");
    assert_eq!(d["ViewerCertificate"]["SslSupportMethod"], "sni-only");
    // Only this distribution may read, and only objects; plain HTTP is refused.
    let statements = &r["AssetsBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"];
    let allow = &statements[0];
    assert_eq!(allow["Principal"], json!({ "Service": "cloudfront.amazonaws.com" }));
    assert_eq!(allow["Action"], json!(["s3:GetObject"]));
    let source = &allow["Condition"]["StringEquals"]["AWS:SourceArn"]["Fn::Join"][1];
    assert!(source.as_array().unwrap().contains(&json!({ "Ref": "AssetsDistribution" })), "{source}");
    assert_eq!(statements[1]["Effect"], "Deny");
    assert_eq!(statements[1]["Condition"]["Bool"]["aws:SecureTransport"], "false");
    // The alias record points at the distribution's fixed zone.
    let alias = &r["AssetsRecord"]["Properties"]["AliasTarget"];
    assert_eq!(alias["HostedZoneId"], iac_core::model::CLOUDFRONT_HOSTED_ZONE_ID);
    assert_eq!(alias["DNSName"], json!({ "Fn::GetAtt": ["AssetsDistribution", "DomainName"] }));

    let tf = terraform::render(&stack(true)).unwrap();
    let body = hcl::parse(&tf.main_tf).unwrap();
    let dist = block(&body, "aws_cloudfront_distribution", "assets_distribution");
    let origin = nested(dist, "origin")[0];
    assert_eq!(
        attr(origin, "origin_access_control_id").unwrap().to_string(),
        "aws_cloudfront_origin_access_control.assets_origin_access_control.id"
    );
    assert_eq!(
        attr(origin, "domain_name").unwrap().to_string(),
        "aws_s3_bucket.assets_bucket.bucket_regional_domain_name"
    );
    let cert = nested(dist, "viewer_certificate")[0];
    assert_eq!(attr(cert, "minimum_protocol_version"), Some(&Expression::String("TLSv1.2_2021".into())));
    assert_eq!(nested(nested(dist, "restrictions")[0], "geo_restriction").len(), 1);
    let policy = attr(block(&body, "aws_s3_bucket_policy", "assets_bucket_policy"), "policy").unwrap().to_string();
    assert!(policy.contains("aws_cloudfront_distribution.assets_distribution.arn"), "{policy}");
    assert!(policy.contains("\"AWS:SourceArn\""), "{policy}");
    let record = block(&body, "aws_route53_record", "assets_record");
    assert_eq!(
        attr(nested(record, "alias")[0], "zone_id").unwrap().to_string(),
        "aws_cloudfront_distribution.assets_distribution.hosted_zone_id"
    );

    // Without an alias: the default certificate, and the reasons for the checks that follow.
    let t = cfn(&stack(false));
    let d = &t["Resources"]["AssetsDistribution"];
    assert_eq!(
        d["Properties"]["DistributionConfig"]["ViewerCertificate"],
        json!({ "CloudFrontDefaultCertificate": true })
    );
    assert!(d["Properties"]["DistributionConfig"].get("Aliases").is_none());
    let skips = d["Metadata"]["checkov"]["skip"].as_array().unwrap();
    assert!(skips.iter().any(|s| s["id"] == "CKV_AWS_174"), "{skips:?}");
}

#[test]
fn scheduled_action_sets_sizes_on_a_cron_schedule() {
    let t = cfn(&stack(true));
    let p = &t["Resources"]["NightOff"]["Properties"];
    assert_eq!(p["Recurrence"], "0 22 * * *");
    assert_eq!(p["TimeZone"], "Europe/London");
    assert_eq!((&p["MinSize"], &p["MaxSize"], &p["DesiredCapacity"]), (&json!(0), &json!(0), &json!(0)));
    let tf = terraform::render(&stack(true)).unwrap();
    let body = hcl::parse(&tf.main_tf).unwrap();
    let a = block(&body, "aws_autoscaling_schedule", "night_off");
    assert_eq!(attr(a, "scheduled_action_name"), Some(&Expression::String("demo-dev-night-off".into())));
    assert_eq!(attr(a, "recurrence"), Some(&Expression::String("0 22 * * *".into())));
    assert_eq!(attr(a, "desired_capacity").unwrap().to_string(), "0");
}

#[test]
fn rendering_is_deterministic() {
    assert_eq!(terraform::render(&stack(true)).unwrap(), terraform::render(&stack(true)).unwrap());
    assert_eq!(
        cloudformation::render(&stack(true), Format::Yaml).unwrap(),
        cloudformation::render(&stack(true), Format::Yaml).unwrap()
    );
}

fn block<'b>(body: &'b Body, ty: &str, label: &str) -> &'b Block {
    body.blocks()
        .find(|b| {
            b.identifier() == "resource"
                && b.labels().first().map(BlockLabel::as_str) == Some(ty)
                && b.labels().get(1).map(BlockLabel::as_str) == Some(label)
        })
        .unwrap_or_else(|| panic!("no resource {ty}.{label}"))
}

fn attr<'b>(b: &'b Block, key: &str) -> Option<&'b Expression> {
    b.body().attributes().find(|a| a.key() == key).map(hcl::Attribute::expr)
}

fn nested<'b>(b: &'b Block, ident: &str) -> Vec<&'b Block> {
    b.body().blocks().filter(|n| n.identifier() == ident).collect()
}
