//! Every fact the seeds README lists for a system is in its rendered output.

use serde_json::Value;

fn cfn(stack: &str, env: &str) -> (Value, String) {
    let stack = stacks::registry().build(stack, env, None).expect("builds");
    let text = iac_render::cloudformation::render(&stack, iac_render::Format::Json).expect("renders");
    (serde_json::from_str(&text).expect("JSON"), text)
}

fn userdata(stack: &str, env: &str, file: &str) -> String {
    let stack = stacks::registry().build(stack, env, None).expect("builds");
    let rendered =
        iac_render::render_target(&stack, iac_render::Target::UserData, iac_render::Format::Json).expect("renders");
    rendered
        .files
        .into_iter()
        .find(|f| f.path.ends_with(file))
        .unwrap_or_else(|| panic!("{file} not rendered"))
        .contents
}

fn resources_of_type<'a>(t: &'a Value, ty: &'a str) -> impl Iterator<Item = (&'a String, &'a Value)> + 'a {
    t["Resources"].as_object().unwrap().iter().filter(move |(_, r)| r["Type"] == ty)
}

#[test]
fn aquamark_prod() {
    let (t, text) = cfn("aquamark", "prod");
    let r = &t["Resources"];

    // RDS PostgreSQL `aquamark`, 100 GB SSD, private, 7-day backups, protected, password never literal.
    let db = &r["DatabaseInstance"];
    let p = &db["Properties"];
    assert_eq!(p["Engine"], "postgres");
    assert_eq!(p["DBInstanceIdentifier"], "aquamark");
    assert_eq!(p["AllocatedStorage"], "100");
    assert_eq!(p["StorageType"], "gp3");
    assert_eq!(p["PubliclyAccessible"], false);
    assert_eq!(p["BackupRetentionPeriod"], 7);
    assert_eq!(p["DeletionProtection"], true);
    assert_eq!(p["StorageEncrypted"], true);
    assert_eq!(p["ManageMasterUserPassword"], true);
    assert!(p.get("MasterUserPassword").is_none());
    assert_eq!(db["DeletionPolicy"], "Snapshot");
    assert_eq!(db["UpdateReplacePolicy"], "Snapshot");

    // The database's group admits only the web tier and the daemons host, by group.
    let db_rules: Vec<&Value> =
        resources_of_type(&t, "AWS::EC2::SecurityGroupIngress").map(|(_, v)| &v["Properties"]).collect();
    assert_eq!(db_rules.len(), 2);
    for rule in &db_rules {
        assert_eq!(rule["FromPort"], 5432);
        assert!(rule.get("SourceSecurityGroupId").is_some() && rule.get("CidrIp").is_none(), "{rule}");
    }
    assert!(r["DatabaseSecurityGroup"]["Properties"].get("SecurityGroupIngress").is_none());

    // Load balancer: HTTP redirects to HTTPS, HTTPS with the certificate forwards to port 80.
    let http = &r["WebHttpListener"]["Properties"];
    assert_eq!(http["Port"], 80);
    assert_eq!(http["DefaultActions"][0]["Type"], "redirect");
    assert_eq!(http["DefaultActions"][0]["RedirectConfig"]["Protocol"], "HTTPS");
    let https = &r["WebHttpsListener"]["Properties"];
    assert_eq!(https["Port"], 443);
    assert_eq!(https["Certificates"][0]["CertificateArn"]["Ref"], "CertificateArn");
    let tg = &r["WebTargetGroup"]["Properties"];
    assert_eq!(tg["Port"], 80);
    assert_eq!(tg["HealthCheckPath"], "/ping");
    assert_eq!(tg["HealthCheckProtocol"], "HTTP");

    // ASG in private subnets, attached to the target group, 20 GB general purpose SSD, scaling.
    let asg = &r["WebAutoScalingGroup"]["Properties"];
    let subnets: Vec<&str> =
        asg["VPCZoneIdentifier"].as_array().unwrap().iter().map(|s| s["Ref"].as_str().unwrap()).collect();
    assert_eq!(subnets, ["PrivateSubnet1", "PrivateSubnet2"]);
    assert_eq!(asg["TargetGroupARNs"][0]["Ref"], "WebTargetGroup");
    assert_eq!(asg["HealthCheckType"], "ELB");
    let lt = &r["WebLaunchTemplate"]["Properties"]["LaunchTemplateData"];
    assert_eq!(lt["BlockDeviceMappings"][0]["Ebs"]["VolumeSize"], 20);
    assert_eq!(lt["BlockDeviceMappings"][0]["Ebs"]["VolumeType"], "gp3");
    assert_eq!(lt["ImageId"]["Ref"], "WebImageId", "the AMI is an input");
    assert_eq!(t["Parameters"]["WebImageId"]["Type"], "AWS::EC2::Image::Id");
    assert_eq!(resources_of_type(&t, "AWS::AutoScaling::ScalingPolicy").count(), 1);

    // Instances admit 80 and 22 only from the local subnet (and 80 from the load balancer).
    let ingress = r["WebInstanceSecurityGroup"]["Properties"]["SecurityGroupIngress"].as_array().unwrap();
    for rule in ingress {
        let port = rule["FromPort"].as_u64().unwrap();
        assert!(port == 80 || port == 22, "{rule}");
        if let Some(cidr) = rule.get("CidrIp") {
            assert_eq!(cidr, "10.20.0.0/20");
        }
    }
    assert!(!text.contains("\"0.0.0.0/0\"") || ingress.iter().all(|r| r["CidrIp"] != "0.0.0.0/0"));

    // DNS: the domain is an alias of the load balancer.
    let rec = &r["SiteRecord"]["Properties"];
    assert_eq!(rec["Name"], "survey.example.org");
    assert_eq!(rec["AliasTarget"]["DNSName"]["Fn::GetAtt"][0], "WebLoadBalancer");

    // No secret value anywhere: the database password is only ever fetched at boot.
    assert!(text.contains("MasterUserSecret.SecretArn"));
}

#[test]
fn aquamark_user_data() {
    let web = userdata("aquamark", "prod", "web-launch-template.yaml");
    for needle in [
        "--restart=always",
        "--publish=80:8000",
        "--env-file=/etc/iac/aquamark.env",
        "ANALYTICS_ID=",
        "DATABASE_URL=postgresql://aquamark:",
        "vpac/aquamark:1.0.1",
        "*/5 * * * * root /usr/local/bin/aquamark-watchdog",
        "Web services are UP",
        "iac_secret secretsmanager",
    ] {
        assert!(web.contains(needle), "web user data lacks `{needle}`");
    }
    assert!(!web.contains("AWS_SECRET_ACCESS_KEY"), "the instance role replaces the guide's keys");

    let daemons = userdata("aquamark", "prod", "daemons-instance.yaml");
    for needle in [
        "--name=recalc",
        "--name=notify",
        "python3 ./server/recalculate.py",
        "python3 ./server/notifications.py",
        "--volume=/etc/aquamark/config:/usr/share/aquamark/app/config",
        "alembic upgrade head",
    ] {
        assert!(daemons.contains(needle), "daemons user data lacks `{needle}`");
    }
    assert_eq!(daemons.matches("--restart=always").count(), 2);
}

#[test]
fn aquamark_bake() {
    let stack = stacks::registry().build("aquamark", "prod", None).expect("builds");
    let files =
        iac_render::render_target(&stack, iac_render::Target::Packer, iac_render::Format::Json).expect("renders").files;
    let template = &files.iter().find(|f| f.path.ends_with("aq-web.pkr.hcl")).expect("template").contents;
    let script = &files.iter().find(|f| f.path.ends_with("aq-web.sh")).expect("script").contents;
    // Named like the guide's `aq-web-v1.0.1-1`, from an Ubuntu base, encrypted, IMDSv2 only.
    assert!(template.contains("format(\"aq-web-v%s-%s\", var.version, var.build)"), "{template}");
    assert!(template.contains("ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-*"));
    assert!(template.contains("encrypt_boot = true") && template.contains("http_tokens = \"required\""));
    // git/make/curl/pip and Docker installed, the image pulled at its version, the watchdog cron.
    for needle in [
        "iac_install git make curl python3-pip",
        "docker.io",
        "docker pull vpac/aquamark:1.0.1",
        "aquamark-watchdog",
        "cloud-init clean",
    ] {
        assert!(script.contains(needle), "bake script lacks `{needle}`");
    }
    // Nothing is started and no secret is read at bake time.
    assert!(
        !script.contains("docker run") && !script.contains("iac_secret") && !script.contains("DATABASE_URL"),
        "{script}"
    );
}

#[test]
fn aquamark_upgrade_order() {
    let stack = stacks::registry().build("aquamark", "prod", None).expect("builds");
    let plan = stack.rollout().expect("aquamark declares its release order");
    let steps: Vec<String> = plan.steps.iter().map(ToString::to_string).collect();
    assert_eq!(
        steps,
        [
            "switch web blue/green",
            "run `/usr/local/bin/aquamark-migrate` on daemons with the new image",
            "update daemons to the new image"
        ]
    );
    assert!(plan.validate("aquamark").is_empty());
}

/// The files a host's user data writes, by path.
fn written(user_data: &str) -> std::collections::BTreeMap<String, String> {
    let doc: serde_yaml_ng::Value = serde_yaml_ng::from_str(user_data).expect("YAML");
    doc["write_files"]
        .as_sequence()
        .expect("write_files")
        .iter()
        .map(|f| (f["path"].as_str().unwrap().to_owned(), f["content"].as_str().unwrap_or("").to_owned()))
        .collect()
}

#[test]
fn viewbovis_prod() {
    let (t, _) = cfn("viewbovis", "prod");
    let r = &t["Resources"];

    // One private host: in a private subnet, no public address, reached only from the VPN.
    let instances: Vec<_> = resources_of_type(&t, "AWS::EC2::Instance").collect();
    assert_eq!(instances.len(), 1);
    let host = &instances[0].1["Properties"];
    assert_eq!(host["SubnetId"]["Ref"], "PrivateSubnet1");
    assert_eq!(r["PrivateSubnet1"]["Properties"]["MapPublicIpOnLaunch"], false);
    assert!(host.get("NetworkInterfaces").is_none(), "no public address association");
    let ssh = &r["AppSecurityGroup"]["Properties"]["SecurityGroupIngress"];
    assert_eq!(ssh.as_array().unwrap().len(), 1);
    assert_eq!(ssh[0]["FromPort"], 22);
    assert_eq!(ssh[0]["CidrIp"], "10.250.0.0/16");
    let http = &r["AppHttpFromVpn"]["Properties"];
    assert_eq!(http["FromPort"], 80);
    assert_eq!(http["CidrIp"], "10.250.0.0/16");

    // The instance role reads the data bucket, which exists outside the stack.
    let role = serde_json::to_string(&r["AppRole"]["Properties"]["Policies"]).unwrap();
    assert!(role.contains("arn:aws:s3:::s3-csu-003") && role.contains("s3:GetObject"), "{role}");
    assert!(!role.contains("s3:PutObject") && resources_of_type(&t, "AWS::S3::Bucket").next().is_none());

    // On at 08:00 and off at 22:00 every day (London time), by EventBridge Scheduler.
    for (id, cron, action) in [
        ("StartSchedule", "cron(0 8 * * ? *)", "startInstances"),
        ("StopSchedule", "cron(0 22 * * ? *)", "stopInstances"),
    ] {
        let s = &r[id]["Properties"];
        assert_eq!(s["ScheduleExpression"], cron);
        assert_eq!(s["ScheduleExpressionTimezone"], "Europe/London");
        assert_eq!(s["Target"]["Arn"], format!("arn:aws:scheduler:::aws-sdk:ec2:{action}"));
        assert_eq!(s["Target"]["Input"]["Fn::Join"][1][1]["Ref"], "AppInstance");
    }
    let power = serde_json::to_string(&r["PowerScheduleRole"]["Properties"]).unwrap();
    assert!(
        power.contains("scheduler.amazonaws.com")
            && power.contains("ec2:StartInstances")
            && power.contains("ec2:StopInstances")
    );

    // The host: units for the data at boot, the app container, Nextstrain and the analytics at
    // shutdown; nginx routing the two names.
    let files = written(&userdata("viewbovis", "prod", "app-instance.yaml"));
    let data = &files["/etc/systemd/system/viewbovis-data.service"];
    assert!(
        data.contains("Type=oneshot")
            && data.contains("Before=viewbovis.service")
            && data.contains("WantedBy=multi-user.target")
    );
    assert!(
        files["/usr/local/bin/viewbovis-download"]
            .contains("aws s3 sync --only-show-errors 's3://s3-csu-003/ViewBovis' '/ViewBovis'")
    );
    let app = &files["/etc/systemd/system/viewbovis.service"];
    for needle in [
        "ExecStart=/usr/bin/docker run --rm --name=viewbovis --network=host",
        "--volume=/ViewBovis:/data",
        "--volume=/var/log/viewbovis-access.log:/ViewBovis/access.log",
        "--volume=/var/log/viewbovis-error.log:/ViewBovis/error.log",
        "aphacsubot/viewbovis:prod\n",
        "Restart=always",
    ] {
        assert!(app.contains(needle), "viewbovis.service lacks `{needle}`:\n{app}");
    }
    let nextstrain = &files["/etc/systemd/system/nextstrain.service"];
    assert!(nextstrain.contains("auspice view --datasetDir /data/nextstrain"), "{nextstrain}");
    let analytics = &files["/etc/systemd/system/viewbovis-analytics.service"];
    assert!(
        analytics.contains("RemainAfterExit=yes")
            && analytics.contains("ExecStop=/usr/bin/python3 /usr/local/bin/viewbovis-analytics")
    );
    assert!(files["/usr/local/bin/viewbovis-analytics"].contains("/var/log/viewbovis_requests_"));
    let site = &files["/etc/nginx/sites-enabled/viewbovis.conf"];
    assert!(
        site.contains("server_name viewbovis-beta.int.sce.network;")
            && site.contains("proxy_pass http://127.0.0.1:3000;"),
        "{site}"
    );
    let site = &files["/etc/nginx/sites-enabled/nextstrain.conf"];
    assert!(
        site.contains("server_name nextstrain-beta.int.sce.network;")
            && site.contains("proxy_pass http://127.0.0.1:4001;"),
        "{site}"
    );
}

#[test]
fn viewbovis_test_deployment() {
    let files = written(&userdata("viewbovis", "test", "app-instance.yaml"));
    let app = &files["/etc/systemd/system/viewbovis-test.service"];
    assert!(app.contains("--name=viewbovis-test") && app.contains("aphacsubot/viewbovis:prod-test\n"), "{app}");
    assert!(app.contains("After=viewbovis-test-data.service"));
    let site = &files["/etc/nginx/sites-enabled/viewbovis-test.conf"];
    assert!(site.contains("server_name viewbovis-test.int.sce.network;"), "{site}");
}

#[test]
fn postback_host() {
    for (env, file) in [("aws", "app-instance.yaml"), ("do", "droplet.yaml")] {
        let text = userdata("postback", env, file);
        let doc: serde_yaml_ng::Value = serde_yaml_ng::from_str(&text).unwrap();
        // 4 GB swap, swappiness 10, vfs_cache_pressure 50.
        assert_eq!(doc["swap"]["size"].as_u64(), Some(4 * 1024 * 1024 * 1024), "{env}");
        let files = written(&text);
        let sysctl = &files["/etc/sysctl.d/60-iac.conf"];
        assert!(sysctl.contains("vm.swappiness = 10\n") && sysctl.contains("vm.vfs_cache_pressure = 50\n"), "{sysctl}");
        // The firewall denies incoming but 22 and 80; 8083/8086 only from the admin range.
        let boot = &files["/var/lib/iac/boot.sh"];
        assert!(boot.contains("ufw default deny incoming\n") && boot.contains("ufw --force enable\n"));
        for port in [8083, 8086] {
            assert!(
                boot.contains(&format!("ufw allow proto tcp from 203.0.113.0/24 to any port {port} ")),
                "{env}: {boot}"
            );
        }
        if env == "do" {
            assert!(
                boot.contains("ufw allow proto tcp from any to any port 22 ")
                    && boot.contains("ufw allow proto tcp from any to any port 80 ")
            );
        }
        assert!(!boot.contains("from any to any port 808"), "monitoring ports are never open to everyone");
        // supervisor runs nginx, php-fpm, Redis with AOF, the Node worker, InfluxDB and collectd,
        // and the distribution's own units are disabled.
        for program in ["nginx", "php-fpm", "redis", "daemon", "influxdb", "collectd"] {
            assert!(files.contains_key(&format!("/etc/supervisor/conf.d/{program}.conf")), "{env}: {program}");
        }
        assert!(files["/etc/supervisor/conf.d/redis.conf"].contains("--appendonly yes"));
        assert!(
            files["/etc/supervisor/conf.d/daemon.conf"]
                .contains("/usr/bin/node /usr/share/nginx/html/postback-example/nodejs/daemon.js")
        );
        assert!(files["/etc/supervisor/conf.d/nginx.conf"].contains("command=/usr/sbin/nginx -g 'daemon off;'"));
        assert!(boot.contains(
            "for unit in redis-server.service influxdb.service php8.3-fpm.service nginx.service collectd.service; do"
        ));
        assert!(files["/etc/php/8.3/fpm/conf.d/99-postback.ini"].contains("cgi.fix_pathinfo=0"));
        // InfluxDB's collectd input on 25826 into `monitor`; collectd's plugins.
        let influx = &files["/etc/influxdb/influxdb.conf"];
        assert!(
            influx.contains("[[collectd]]")
                && influx.contains("bind-address = \"127.0.0.1:25826\"")
                && influx.contains("database = \"monitor\"")
        );
        let collectd = &files["/etc/collectd/collectd.conf"];
        for plugin in ["cpu", "load", "memory", "network", "nginx", "swap"] {
            assert!(collectd.contains(&format!("LoadPlugin {plugin}\n")), "{plugin}");
        }
        assert!(collectd.contains("URL \"http://127.0.0.1:80/nginx_status?auto\""));
        let site = &files["/etc/nginx/sites-enabled/postback.conf"];
        assert!(
            site.contains("location = /nginx_status {")
                && site.contains("stub_status;")
                && site.contains("fastcgi_pass unix:/run/php/php8.3-fpm.sock;")
        );
    }
}

#[test]
fn postback_is_the_same_cloud_init_on_aws_and_digitalocean() {
    let normalize = |text: String, env: &str| {
        text.replace(&format!("postback-{env}"), "postback-ENV")
            .replace(&format!("(postback, {env})"), "(postback, ENV)")
            .lines()
            // The region is AWS's; the SSH and HTTP ranges are each environment's config (the
            // EC2 host is private and admits the VPC, the droplet everyone, as in the guide).
            .filter(|l| {
                !l.contains("AWS_DEFAULT_REGION") && !l.contains("to any port 22 ") && !l.contains("to any port 80 ")
            })
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    let aws = normalize(userdata("postback", "aws", "app-instance.yaml"), "aws");
    let digitalocean = normalize(userdata("postback", "do", "droplet.yaml"), "do");
    let differ: Vec<(&String, &String)> = aws.iter().zip(&digitalocean).filter(|(a, b)| a != b).collect();
    assert!(
        differ.is_empty() && aws.len() == digitalocean.len() && aws.len() > 300,
        "the droplet gets the EC2 host's cloud-init: {} and {} lines, differing: {differ:?}",
        aws.len(),
        digitalocean.len()
    );
}

#[test]
fn postback_on_digitalocean() {
    let stack = stacks::registry().build("postback", "do", None).expect("builds");
    let files =
        iac_render::render_target(&stack, iac_render::Target::All, iac_render::Format::Json).expect("renders").files;
    assert!(files.iter().all(|f| !f.path.starts_with("cloudformation")), "no CloudFormation for a droplet");
    let main = &files.iter().find(|f| f.path.ends_with("main.tf")).unwrap().contents;
    let body = hcl::parse(main).unwrap_or_else(|e| panic!("{e}"));
    assert!(main.contains("source = \"digitalocean/digitalocean\"") && !main.contains("hashicorp/aws"), "{main}");
    let block = |ty: &str| {
        body.blocks()
            .find(|b| b.identifier() == "resource" && b.labels()[0].as_str() == ty)
            .unwrap_or_else(|| panic!("{ty}"))
    };
    let droplet = block("digitalocean_droplet");
    let user_data = droplet.body().attributes().find(|a| a.key() == "user_data").unwrap().expr().to_string();
    assert!(user_data.starts_with("\"#cloud-config\\n"), "{user_data}");
    let fw = block("digitalocean_firewall");
    let rules: Vec<String> = fw
        .body()
        .blocks()
        .filter(|b| b.identifier() == "inbound_rule")
        .map(|b| {
            let get = |k: &str| b.body().attributes().find(|a| a.key() == k).unwrap().expr().to_string();
            format!("{} {}", get("port_range"), get("source_addresses").replace(['\n', ' '], ""))
        })
        .collect();
    assert_eq!(
        rules,
        [
            "\"22\" [\"0.0.0.0/0\",\"::/0\"]",
            "\"80\" [\"0.0.0.0/0\",\"::/0\"]",
            "\"8083\" [\"203.0.113.0/24\"]",
            "\"8086\" [\"203.0.113.0/24\"]",
        ]
    );
}

#[test]
fn postback_on_aws_mirrors_the_firewall() {
    let (t, _) = cfn("postback", "aws");
    let r = &t["Resources"];
    let ssh = &r["AppSecurityGroup"]["Properties"]["SecurityGroupIngress"][0];
    assert_eq!((ssh["FromPort"].as_u64(), ssh["CidrIp"].as_str()), (Some(22), Some("10.40.0.0/16")));
    let mut rules: Vec<(u64, String)> = resources_of_type(&t, "AWS::EC2::SecurityGroupIngress")
        .map(|(_, v)| {
            (v["Properties"]["FromPort"].as_u64().unwrap(), v["Properties"]["CidrIp"].as_str().unwrap().to_owned())
        })
        .collect();
    rules.sort();
    assert_eq!(
        rules,
        [(80, "10.40.0.0/16".to_owned()), (8083, "203.0.113.0/24".to_owned()), (8086, "203.0.113.0/24".to_owned())]
    );
}
