//! The EC2 service module against a local moto server: create, discover, read back, update in
//! place and delete every EC2 kind, with the properties the CloudFormation renderer produces.

// The SDK's accessor paths are longer than the closures they would replace.
#![allow(clippy::redundant_closure_for_method_calls)]

mod common;

use std::collections::{BTreeMap, HashMap};

use aws_sdk_ec2::types::{Filter, InstanceStateName};
use iac_aws::Clients;
use iac_aws::desired::{self, Facts};
use iac_aws::services::{self, Ctx, ec2};
use iac_aws::state::{Observed, Tags};
use iac_core::app::HostConfig;
use iac_core::graph::Graph;
use iac_core::model::{
    Eip, Instance, InstanceTemplate, InternetGateway, LaunchTemplate, MachineSpec, NatGateway, Peer, Protocol,
    RootVolume, Route, RouteTable, RouteTarget, Rule, SecurityGroup, SecurityGroupIngress, Subnet,
    SubnetRouteTableAssociation, Vpc, VpcGatewayAttachment,
};
use iac_core::patterns::{Network, NetworkProps};
use iac_core::stack::{Stack, StackBuilder};
use iac_core::value::{Pseudo, Value};
use iac_core::{LogicalId, naming};
use serde_json::Value as Json;

const ZONES: [&str; 3] = ["us-east-1a", "us-east-1b", "us-east-1c"];

/// One stack applied resource by resource, as the engine does.
struct World<'a> {
    clients: &'a Clients,
    stack: Stack,
    template: Json,
    observed: HashMap<LogicalId, Observed>,
    /// The hash each resource was last created or updated with.
    hashes: HashMap<LogicalId, String>,
}

impl<'a> World<'a> {
    fn new(clients: &'a Clients, stack: Stack) -> Self {
        let template = iac_render::cloudformation::template(&stack).expect("renders");
        Self { clients, stack, template, observed: HashMap::new(), hashes: HashMap::new() }
    }

    /// The same resources, now described by `stack` (the user changed the config).
    fn with_stack(mut self, stack: Stack) -> Self {
        self.template = iac_render::cloudformation::template(&stack).expect("renders");
        self.stack = stack;
        self
    }

    fn ctx(&self) -> Ctx<'_> {
        Ctx { clients: self.clients, stack: &self.stack, timing: common::fast() }
    }

    fn lid(id: &str) -> LogicalId {
        LogicalId::new(id).expect("valid id")
    }

    fn desired(&self, id: &str) -> Json {
        let zones: Vec<String> = ZONES.iter().map(|z| (*z).to_owned()).collect();
        let params = BTreeMap::new();
        let facts = Facts {
            stack: &self.stack,
            params: &params,
            region: "us-east-1",
            account: Some("123456789012"),
            zones: &zones,
            observed: &self.observed,
        };
        desired::resolve(&facts, id, &self.template["Resources"][id]["Properties"], true).expect("resolves")
    }

    fn tags(&self, id: &str, desired: &Json) -> Tags {
        let entry = self.stack.resource(&Self::lid(id)).expect("in the stack");
        let mut tags = naming::tags(&self.stack, entry);
        tags.push(("iac:hash".to_owned(), desired::hash(desired)));
        tags
    }

    fn assert_reads_back(&self, id: &str, o: &Observed) {
        let desired = self.desired(id);
        let changed = desired::changed(&desired, &o.props);
        assert!(
            changed.is_empty(),
            "{id}: {changed:?} differ\n desired: {desired:#}\n observed: {:#}",
            Json::Object(o.props.clone())
        );
    }

    async fn create(&mut self, id: &str) -> Observed {
        let desired = self.desired(id);
        let tags = self.tags(id, &desired);
        let entry = self.stack.resource(&Self::lid(id)).expect("in the stack");
        let props = desired.as_object().cloned().unwrap_or_default();
        let o =
            services::create(&self.ctx(), entry, &props, &tags).await.unwrap_or_else(|e| panic!("create {id}: {e}"));
        assert_eq!(o.id.as_str(), id);
        self.assert_reads_back(id, &o);
        self.hashes.insert(Self::lid(id), desired::hash(&desired));
        self.observed.insert(Self::lid(id), o.clone());
        o
    }

    /// Updates `id` in place (as the engine does when the plan says so).
    async fn update(&mut self, id: &str) -> Observed {
        let desired = self.desired(id);
        let current = self.observed.get(&Self::lid(id)).cloned().expect("exists");
        let changed = desired::changed(&desired, &current.props);
        let forced: Vec<&String> =
            changed.iter().filter(|c| services::replaced_by(&current.cfn_type).contains(&c.as_str())).collect();
        assert!(forced.is_empty(), "{id}: {forced:?} would force a replacement");
        let tags = self.tags(id, &desired);
        let entry = self.stack.resource(&Self::lid(id)).expect("in the stack");
        let props = desired.as_object().cloned().unwrap_or_default();
        let o = services::update(&self.ctx(), entry, &current, &props, &tags)
            .await
            .unwrap_or_else(|e| panic!("update {id}: {e}"));
        self.assert_reads_back(id, &o);
        self.hashes.insert(Self::lid(id), desired::hash(&desired));
        self.observed.insert(Self::lid(id), o.clone());
        o
    }

    async fn create_all(&mut self) {
        let graph = Graph::new(&self.stack).expect("acyclic");
        for id in graph.order().to_vec() {
            if !self.observed.contains_key(&id) {
                self.create(id.as_str()).await;
            }
        }
    }

    async fn discover(&self) -> HashMap<LogicalId, Observed> {
        let found = ec2::discover(&self.ctx()).await.expect("discovers");
        let mut out = HashMap::new();
        for o in found {
            let id = o.id.clone();
            assert!(out.insert(id.clone(), o).is_none(), "{id} discovered twice");
        }
        out
    }

    /// Discovery finds every resource of the stack, with its hash (where it can carry one),
    /// its physical id, and properties that match the desired ones.
    async fn assert_discovered(&self) {
        let found = self.discover().await;
        assert_eq!(found.len(), self.stack.resources().len(), "found: {:?}", found.keys().collect::<Vec<_>>());
        for entry in self.stack.resources() {
            let o = found.get(&entry.id).unwrap_or_else(|| panic!("{} not discovered", entry.id));
            let mine = &self.observed[&entry.id];
            assert_eq!(o.physical_id, mine.physical_id, "{}", entry.id);
            assert_eq!(o.cfn_type, mine.cfn_type, "{}", entry.id);
            assert_eq!(o.attrs, mine.attrs, "{}", entry.id);
            if naming::taggable(&entry.resource) || entry.resource.kind_name() == "security group rule" {
                assert_eq!(o.hash.as_ref(), self.hashes.get(&entry.id), "{} hash", entry.id);
            }
            self.assert_reads_back(entry.id.as_str(), o);
        }
    }

    /// Deletes everything, dependents first, then checks nothing is left and that a second
    /// delete of each is still a success.
    async fn delete_all(&mut self) {
        let graph = Graph::new(&self.stack).expect("acyclic");
        let order: Vec<LogicalId> = graph.reverse_order().cloned().collect();
        for id in &order {
            let o = &self.observed[id];
            services::delete(&self.ctx(), o).await.unwrap_or_else(|e| panic!("delete {id}: {e}"));
        }
        assert!(self.discover().await.is_empty(), "something is left");
        for id in &order {
            let o = &self.observed[id];
            services::delete(&self.ctx(), o).await.unwrap_or_else(|e| panic!("second delete {id}: {e}"));
        }
        self.observed.clear();
    }
}

fn tcp(port: u16, peer: Peer, description: &str) -> Rule {
    Rule::tcp(port, peer, description)
}

fn cidr(c: &str) -> Peer {
    Peer::Cidr(c.into())
}

// ---------------------------------------------------------------------------------------------
// Network: VPC, subnets, gateways, tables, routes, associations, EIP and NAT.

struct NetworkConfig {
    dns_hostnames: bool,
    map_public_ip: bool,
    /// The private route goes to the internet gateway instead of the NAT gateway.
    private_via_igw: bool,
}

fn network_stack(c: &NetworkConfig) -> Stack {
    let mut b = StackBuilder::new("ec2net", "test");
    let vpc = b.add(
        "Vpc",
        Vpc { cidr_block: "10.40.0.0/16".into(), enable_dns_hostnames: c.dns_hostnames, enable_dns_support: true },
    );
    let igw = b.add("Igw", InternetGateway {});
    let attachment =
        b.add("IgwAttachment", VpcGatewayAttachment { vpc_id: vpc.vpc_id(), internet_gateway_id: igw.gateway_id() });
    let public_rt = b.add("PublicTable", RouteTable { vpc_id: vpc.vpc_id() });
    let public_route = b.add(
        "PublicRoute",
        Route {
            route_table_id: public_rt.route_table_id(),
            destination_cidr_block: "0.0.0.0/0".into(),
            target: RouteTarget::InternetGateway(igw.gateway_id()),
        },
    );
    b.configure(&public_route, |e| e.depends_on.push(attachment.id().clone()));
    let public = b.add(
        "PublicSubnet",
        Subnet {
            vpc_id: vpc.vpc_id(),
            cidr_block: "10.40.0.0/20".into(),
            availability_zone: Value::Pseudo(Pseudo::AvailabilityZone(0)),
            map_public_ip_on_launch: c.map_public_ip,
        },
    );
    b.add(
        "PublicAssociation",
        SubnetRouteTableAssociation { subnet_id: public.subnet_id(), route_table_id: public_rt.route_table_id() },
    );
    let eip = b.add("NatEip", Eip {});
    let nat = b.add("Nat", NatGateway { subnet_id: public.subnet_id(), allocation_id: eip.allocation_id() });
    let private = b.add(
        "PrivateSubnet",
        Subnet {
            vpc_id: vpc.vpc_id(),
            cidr_block: "10.40.16.0/20".into(),
            availability_zone: Value::Pseudo(Pseudo::AvailabilityZone(1)),
            map_public_ip_on_launch: false,
        },
    );
    let private_rt = b.add("PrivateTable", RouteTable { vpc_id: vpc.vpc_id() });
    let target = if c.private_via_igw {
        RouteTarget::InternetGateway(igw.gateway_id())
    } else {
        RouteTarget::NatGateway(nat.nat_gateway_id())
    };
    let private_route = b.add(
        "PrivateRoute",
        Route { route_table_id: private_rt.route_table_id(), destination_cidr_block: "0.0.0.0/0".into(), target },
    );
    // Keep the NAT gateway a dependency either way, so the deletion order stays the same.
    b.configure(&private_route, |e| e.depends_on.push(nat.id().clone()));
    b.add(
        "PrivateAssociation",
        SubnetRouteTableAssociation { subnet_id: private.subnet_id(), route_table_id: private_rt.route_table_id() },
    );
    b.build().expect("valid stack")
}

#[tokio::test]
async fn network_create_discover_update_delete() {
    let Some(moto) = common::Moto::start() else { return };
    moto.reset();
    let clients = moto.clients().await;
    let ec2c = clients.ec2.clone();
    let mut w = World::new(
        &clients,
        network_stack(&NetworkConfig { dns_hostnames: true, map_public_ip: false, private_via_igw: false }),
    );
    w.create_all().await;

    // Attributes other resources refer to.
    let vpc = &w.observed[&World::lid("Vpc")];
    assert!(vpc.physical_id.starts_with("vpc-"));
    assert_eq!(vpc.attrs["CidrBlock"], "10.40.0.0/16");
    let eip = &w.observed[&World::lid("NatEip")];
    assert!(eip.attrs["AllocationId"].starts_with("eipalloc-"));
    assert!(eip.attrs["Ref"].contains('.'), "an EIP's Ref is its address: {}", eip.attrs["Ref"]);
    let nat = &w.observed[&World::lid("Nat")];
    assert_eq!(nat.props["AllocationId"], eip.attrs["AllocationId"].as_str());
    let igw = w.observed[&World::lid("Igw")].physical_id.clone();
    assert_eq!(w.observed[&World::lid("IgwAttachment")].physical_id, format!("{igw}|{}", vpc.physical_id));
    let private_table = w.observed[&World::lid("PrivateTable")].physical_id.clone();
    assert_eq!(w.observed[&World::lid("PrivateRoute")].physical_id, format!("{private_table}|0.0.0.0/0"));
    assert!(w.observed[&World::lid("PrivateAssociation")].physical_id.starts_with("rtbassoc-"));
    let vpc_id = vpc.physical_id.clone();
    let out = ec2c
        .describe_vpc_attribute()
        .vpc_id(&vpc_id)
        .attribute(aws_sdk_ec2::types::VpcAttributeName::EnableDnsHostnames)
        .send()
        .await
        .expect("describes");
    assert_eq!(out.enable_dns_hostnames().and_then(aws_sdk_ec2::types::AttributeBooleanValue::value), Some(true));

    w.assert_discovered().await;

    // The user changes the config: updates in place.
    let mut w = w.with_stack(network_stack(&NetworkConfig {
        dns_hostnames: false,
        map_public_ip: true,
        private_via_igw: true,
    }));
    let vpc = w.update("Vpc").await;
    assert_eq!(vpc.props["EnableDnsHostnames"], false);
    let subnet = w.update("PublicSubnet").await;
    let out = ec2c.describe_subnets().subnet_ids(&subnet.physical_id).send().await.expect("describes");
    assert_eq!(out.subnets()[0].map_public_ip_on_launch(), Some(true));
    let route = w.update("PrivateRoute").await;
    assert_eq!(route.props["GatewayId"], igw.as_str());
    assert!(!route.props.contains_key("NatGatewayId"));
    // Resources whose properties did not change: a re-tag only.
    w.update("Igw").await;
    w.update("Nat").await;
    w.update("NatEip").await;
    w.update("PrivateTable").await;
    w.update("PublicAssociation").await;
    w.update("IgwAttachment").await;
    w.assert_discovered().await;

    let allocation = w.observed[&World::lid("NatEip")].physical_id.clone();
    let nat_id = w.observed[&World::lid("Nat")].physical_id.clone();
    w.delete_all().await;
    let nats = ec2c.describe_nat_gateways().nat_gateway_ids(&nat_id).send().await.expect("describes");
    assert!(nats.nat_gateways().iter().all(|g| g.state().is_some_and(|s| s.as_str() == "deleted")));
    let addresses = ec2c
        .describe_addresses()
        .filters(Filter::builder().name("allocation-id").values(&allocation).build())
        .send()
        .await
        .expect("describes");
    assert!(addresses.addresses().is_empty(), "the EIP is released");
    let igws = ec2c
        .describe_internet_gateways()
        .filters(Filter::builder().name("internet-gateway-id").values(&igw).build())
        .send()
        .await
        .expect("describes");
    assert!(igws.internet_gateways().is_empty(), "the gateway is detached and deleted");
}

/// Routes and associations of a table that goes away go with it, and discovery does not find
/// an attachment, route or association whose parent is missing.
#[tokio::test]
async fn untaggable_kinds_follow_their_parents() {
    let Some(moto) = common::Moto::start() else { return };
    moto.reset();
    let clients = moto.clients().await;
    let mut w = World::new(
        &clients,
        network_stack(&NetworkConfig { dns_hostnames: true, map_public_ip: false, private_via_igw: false }),
    );
    for id in ["Vpc", "Igw", "PublicTable", "PublicSubnet"] {
        w.create(id).await;
    }
    let found = w.discover().await;
    assert_eq!(found.len(), 4, "nothing untaggable exists yet: {:?}", found.keys().collect::<Vec<_>>());
    w.create("IgwAttachment").await;
    w.create("PublicRoute").await;
    w.create("PublicAssociation").await;
    // Creating again (a resumed apply whose tags could not show it) adopts what is there.
    let again = w.create("PublicRoute").await;
    assert_eq!(again.physical_id, w.observed[&World::lid("PublicRoute")].physical_id);
    let again = w.create("IgwAttachment").await;
    assert!(again.physical_id.contains('|'));
    assert_eq!(w.discover().await.len(), 7);
    // Deleting the table removes its association (AWS refuses otherwise) and its routes.
    let table = w.observed[&World::lid("PublicTable")].clone();
    services::delete(&w.ctx(), &table).await.expect("deletes the table");
    let found = w.discover().await;
    assert!(!found.contains_key(&World::lid("PublicRoute")));
    assert!(!found.contains_key(&World::lid("PublicAssociation")));
    // Deleting the gateway detaches it first.
    let igw = w.observed[&World::lid("Igw")].clone();
    services::delete(&w.ctx(), &igw).await.expect("deletes the gateway");
    let found = w.discover().await;
    assert!(!found.contains_key(&World::lid("IgwAttachment")));
    for id in ["PublicSubnet", "Vpc"] {
        services::delete(&w.ctx(), &w.observed[&World::lid(id)]).await.expect("deletes");
    }
    assert!(w.discover().await.is_empty());
}

// ---------------------------------------------------------------------------------------------
// Security groups and standalone rules.

struct SgConfig {
    /// The second version: SSH removed, HTTPS added, a description changed.
    v2: bool,
}

fn sg_stack(c: &SgConfig) -> Stack {
    let mut b = StackBuilder::new("ec2sg", "test");
    let vpc =
        b.add("Vpc", Vpc { cidr_block: "10.50.0.0/16".into(), enable_dns_hostnames: true, enable_dns_support: true });
    let lb = b.add(
        "LbSecurityGroup",
        SecurityGroup {
            description: "load balancer".into(),
            vpc_id: vpc.vpc_id(),
            ingress: vec![tcp(443, cidr("0.0.0.0/0"), "HTTPS from the internet")],
            egress: vec![tcp(80, Peer::Cidr(vpc.cidr_block()), "to the instances")],
        },
    );
    let mut ingress = vec![
        tcp(80, cidr("10.50.0.0/20"), "HTTP from the local subnet"),
        tcp(
            80,
            Peer::Group(lb.group_id()),
            if c.v2 { "from the load balancer (v2)" } else { "from the load balancer" },
        ),
        Rule {
            protocol: Protocol::Udp,
            from_port: 8000,
            to_port: 8100,
            peer: cidr("10.50.0.0/16"),
            description: String::new(),
        },
    ];
    if c.v2 {
        ingress.push(tcp(443, cidr("10.50.0.0/16"), "HTTPS inside the VPC"));
    } else {
        ingress.push(tcp(22, cidr("10.50.0.0/20"), "SSH from the local subnet"));
    }
    let web = b.add(
        "WebSecurityGroup",
        SecurityGroup {
            description: "web instances".into(),
            vpc_id: vpc.vpc_id(),
            ingress,
            egress: vec![
                tcp(443, cidr("0.0.0.0/0"), "images, packages and AWS APIs"),
                Rule {
                    protocol: Protocol::All,
                    from_port: 0,
                    to_port: 0,
                    peer: cidr("10.50.0.0/16"),
                    description: "inside the VPC".into(),
                },
            ],
        },
    );
    let db = b.add(
        "DbSecurityGroup",
        SecurityGroup { description: "database".into(), vpc_id: vpc.vpc_id(), ingress: vec![], egress: vec![] },
    );
    b.add(
        "DbFromWeb",
        SecurityGroupIngress {
            group_id: db.group_id(),
            rule: tcp(
                5432,
                Peer::Group(web.group_id()),
                if c.v2 { "postgres from the web tier (v2)" } else { "postgres from the web tier" },
            ),
        },
    );
    b.build().expect("valid stack")
}

/// The group's rules as AWS has them: `(egress, protocol, from, to, peer, description)`.
async fn rules_of(clients: &Clients, group: &str) -> Vec<(bool, String, i32, i32, String, String)> {
    let out = clients
        .ec2
        .describe_security_group_rules()
        .filters(Filter::builder().name("group-id").values(group).build())
        .send()
        .await
        .expect("describes");
    let mut rules: Vec<_> = out
        .security_group_rules()
        .iter()
        .map(|r| {
            let peer = r
                .cidr_ipv4()
                .map(str::to_owned)
                .or_else(|| r.referenced_group_info().and_then(|g| g.group_id()).map(str::to_owned))
                .unwrap_or_default();
            (
                r.is_egress().unwrap_or(false),
                r.ip_protocol().unwrap_or_default().to_owned(),
                r.from_port().unwrap_or(-1),
                r.to_port().unwrap_or(-1),
                peer,
                r.description().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    rules.sort();
    rules
}

#[tokio::test]
async fn security_groups_and_standalone_rules() {
    let Some(moto) = common::Moto::start() else { return };
    moto.reset();
    let clients = moto.clients().await;
    let mut w = World::new(&clients, sg_stack(&SgConfig { v2: false }));
    w.create_all().await;

    // A group without egress: AWS's default allow-all rule is gone, the renderer's rule is in.
    let db = w.observed[&World::lid("DbSecurityGroup")].physical_id.clone();
    let web = w.observed[&World::lid("WebSecurityGroup")].physical_id.clone();
    let db_rules = rules_of(&clients, &db).await;
    let egress: Vec<_> = db_rules.iter().filter(|r| r.0).collect();
    assert_eq!(egress.len(), 1, "{db_rules:?}");
    assert_eq!((egress[0].1.as_str(), egress[0].4.as_str()), ("icmp", "255.255.255.255/32"));
    // The standalone rule is on the database group, tagged, and not one of the group's own.
    let rule = &w.observed[&World::lid("DbFromWeb")];
    assert!(rule.physical_id.starts_with("sgr-"), "{}", rule.physical_id);
    assert!(db_rules.iter().any(|r| !r.0 && r.2 == 5432 && r.4 == web));
    let db_seen = &w.observed[&World::lid("DbSecurityGroup")];
    assert!(!db_seen.props.contains_key("SecurityGroupIngress"), "{:?}", db_seen.props);
    assert_eq!(db_seen.attrs["GroupId"], db);
    // The web group's egress is exactly the template's (no allow-all left).
    let web_rules = rules_of(&clients, &web).await;
    assert_eq!(web_rules.iter().filter(|r| r.0).count(), 2, "{web_rules:?}");
    assert_eq!(web_rules.iter().filter(|r| !r.0).count(), 4, "{web_rules:?}");

    w.assert_discovered().await;

    // v2: one rule removed, one added, one description changed; the standalone rule's
    // description too.
    let mut w = w.with_stack(sg_stack(&SgConfig { v2: true }));
    let before = w.observed[&World::lid("DbFromWeb")].physical_id.clone();
    w.update("WebSecurityGroup").await;
    let web_rules = rules_of(&clients, &web).await;
    let ingress: Vec<_> = web_rules.iter().filter(|r| !r.0).collect();
    assert_eq!(ingress.len(), 4, "{web_rules:?}");
    assert!(!ingress.iter().any(|r| r.2 == 22), "SSH is revoked: {web_rules:?}");
    assert!(ingress.iter().any(|r| r.2 == 443), "HTTPS is authorized: {web_rules:?}");
    assert_eq!(web_rules.iter().filter(|r| r.0).count(), 2, "egress untouched: {web_rules:?}");
    let rule = w.update("DbFromWeb").await;
    assert_eq!(rule.props["Description"], "postgres from the web tier (v2)");
    assert_ne!(rule.physical_id, before, "a new description is a new rule");
    // Updating the database group leaves the standalone rule alone.
    w.update("DbSecurityGroup").await;
    let db_rules = rules_of(&clients, &db).await;
    assert_eq!(db_rules.iter().filter(|r| !r.0 && r.2 == 5432).count(), 1, "{db_rules:?}");
    w.assert_discovered().await;

    w.delete_all().await;
    let left = clients.ec2.describe_security_groups().group_ids(&db).send().await;
    assert!(left.is_err() || left.is_ok_and(|o| o.security_groups().is_empty()), "the database group is gone");
}

// ---------------------------------------------------------------------------------------------
// Launch template and instance.

struct ComputeConfig {
    instance_type: &'static str,
    monitoring: bool,
    /// Packages of the template's user data.
    packages: &'static [&'static str],
    /// Packages of the instance's user data.
    host_packages: &'static [&'static str],
}

fn host_config(packages: &[&str]) -> HostConfig {
    HostConfig {
        name: "ec2vm-host".into(),
        packages: packages.iter().map(|p| (*p).to_owned()).collect(),
        ..HostConfig::default()
    }
}

fn compute_stack(image: &str, c: &ComputeConfig) -> Stack {
    let mut b = StackBuilder::new("ec2vm", "test");
    let vpc =
        b.add("Vpc", Vpc { cidr_block: "10.60.0.0/16".into(), enable_dns_hostnames: true, enable_dns_support: true });
    let subnet = b.add(
        "Subnet",
        Subnet {
            vpc_id: vpc.vpc_id(),
            cidr_block: "10.60.0.0/20".into(),
            availability_zone: Value::Pseudo(Pseudo::AvailabilityZone(0)),
            map_public_ip_on_launch: false,
        },
    );
    let sg = b.add(
        "HostSecurityGroup",
        SecurityGroup {
            description: "host".into(),
            vpc_id: vpc.vpc_id(),
            ingress: vec![tcp(22, cidr("10.60.0.0/20"), "SSH from the local subnet")],
            egress: vec![tcp(443, cidr("0.0.0.0/0"), "AWS APIs")],
        },
    );
    let machine = MachineSpec {
        image_id: image.into(),
        instance_type: c.instance_type.into(),
        security_group_ids: vec![sg.group_id()],
        instance_profile: Some("ec2vm-test-host-profile".into()),
        root_volume: Some(RootVolume::gp3("/dev/xvda", 20)),
        user_data: Some(host_config(c.packages)),
        key_name: None,
        detailed_monitoring: c.monitoring,
    };
    b.add("HostTemplate", LaunchTemplate { name: None, machine: Some(machine.clone()) });
    let machine = MachineSpec { user_data: Some(host_config(c.host_packages)), ..machine };
    // As the host pattern does: a template of the metadata options alone, launched from.
    let imds = b.add("HostImds", LaunchTemplate { name: None, machine: None });
    let template = InstanceTemplate { id: imds.template_id(), version: imds.latest_version() };
    b.add("Host", Instance { subnet_id: subnet.subnet_id(), machine, launch_template: Some(template) });
    b.build().expect("valid stack")
}

/// The instance profile the machines use (IAM is another module's; made directly here).
async fn instance_profile(clients: &Clients) {
    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
    clients
        .iam
        .create_role()
        .role_name("ec2vm-test-host")
        .assume_role_policy_document(trust)
        .send()
        .await
        .expect("role");
    clients
        .iam
        .create_instance_profile()
        .instance_profile_name("ec2vm-test-host-profile")
        .send()
        .await
        .expect("profile");
    clients
        .iam
        .add_role_to_instance_profile()
        .instance_profile_name("ec2vm-test-host-profile")
        .role_name("ec2vm-test-host")
        .send()
        .await
        .expect("role in profile");
}

/// An Amazon Linux 2023 image from moto's built-in list.
async fn amazon_linux(clients: &Clients) -> String {
    let out = clients
        .ec2
        .describe_images()
        .owners("amazon")
        .filters(Filter::builder().name("name").values("al2023-ami-2023.*-kernel-6.1-x86_64").build())
        .send()
        .await
        .expect("describes images");
    out.images().first().and_then(|i| i.image_id()).expect("moto ships AL2023 images").to_owned()
}

#[tokio::test]
async fn launch_template_and_instance() {
    let Some(moto) = common::Moto::start() else { return };
    moto.reset();
    let clients = moto.clients().await;
    instance_profile(&clients).await;
    let image = amazon_linux(&clients).await;
    let v1 =
        ComputeConfig { instance_type: "t3.small", monitoring: true, packages: &["nginx"], host_packages: &["nginx"] };
    let mut w = World::new(&clients, compute_stack(&image, &v1));
    w.create_all().await;

    let lt = &w.observed[&World::lid("HostTemplate")];
    assert!(lt.physical_id.starts_with("lt-"));
    assert_eq!(lt.attrs["LatestVersionNumber"], "1");
    assert_eq!(lt.props["LaunchTemplateName"], "ec2vm-test-host-template");
    let host = w.observed[&World::lid("Host")].clone();
    assert!(host.physical_id.starts_with("i-"));
    assert!(!host.attrs["PrivateIp"].is_empty());
    assert_eq!(host.props["IamInstanceProfile"], "ec2vm-test-host-profile");
    assert_eq!(host.props["Monitoring"], true);
    let x = clients.ec2.describe_instances().instance_ids(&host.physical_id).send().await.expect("describes");
    let x = &x.reservations()[0].instances()[0];
    assert_eq!(x.state().and_then(|s| s.name()), Some(&InstanceStateName::Running));
    // IMDSv2 comes from the template it is launched from (moto does not apply a template's
    // metadata options to the instance: the template and the link are checked).
    let imds = &w.observed[&World::lid("HostImds")];
    let tag = |k: &str| x.tags().iter().find(|t| t.key() == Some(k)).and_then(|t| t.value());
    assert_eq!(tag("aws:ec2launchtemplate:id"), Some(imds.physical_id.as_str()), "launched from its template");
    assert_eq!(
        host.props["LaunchTemplate"],
        serde_json::json!({ "LaunchTemplateId": imds.physical_id, "Version": "1" })
    );
    let data = clients
        .ec2
        .describe_launch_template_versions()
        .launch_template_id(&imds.physical_id)
        .send()
        .await
        .expect("versions");
    let data = data.launch_template_versions()[0].launch_template_data().expect("data");
    assert_eq!(data.metadata_options().and_then(|m| m.http_tokens()).map(|t| t.as_str()), Some("required"), "IMDSv2");
    assert!(data.image_id().is_none() && data.user_data().is_none(), "the metadata options alone");
    let volumes = clients
        .ec2
        .describe_volumes()
        .filters(Filter::builder().name("attachment.instance-id").values(&host.physical_id).build())
        .send()
        .await
        .expect("describes volumes");
    assert!(!volumes.volumes().is_empty());
    for v in volumes.volumes() {
        assert!(
            v.tags().iter().any(|t| t.key() == Some("iac:id") && t.value() == Some("Host")),
            "volume tags: {:?}",
            v.tags()
        );
    }

    w.assert_discovered().await;

    // v2: a bigger type, other packages (new user data) in the template. The instance keeps its
    // user data and detailed monitoring: moto has no MonitorInstances / UnmonitorInstances
    // (HTTP 500), and its ModifyInstanceAttribute wants user data encoded twice, where AWS
    // wants it once.
    let v2 = ComputeConfig {
        instance_type: "t3.medium",
        monitoring: true,
        packages: &["nginx", "jq"],
        host_packages: &["nginx"],
    };
    let mut w = w.with_stack(compute_stack(&image, &v2));
    let lt = w.update("HostTemplate").await;
    assert_eq!(lt.attrs["LatestVersionNumber"], "2");
    assert_eq!(lt.attrs["DefaultVersionNumber"], "2");
    // The new version holds the full data, not just what changed.
    let versions = clients
        .ec2
        .describe_launch_template_versions()
        .launch_template_id(&lt.physical_id)
        .versions("2")
        .send()
        .await
        .expect("describes versions");
    let data = versions.launch_template_versions()[0].launch_template_data().expect("data");
    assert_eq!(data.image_id(), Some(image.as_str()));
    assert_eq!(data.instance_type().map(|t| t.as_str()), Some("t3.medium"));
    assert!(data.user_data().is_some_and(|u| !u.is_empty()));
    assert!(!data.security_group_ids().is_empty());
    // Nothing changed: no new version.
    let same = w.update("HostTemplate").await;
    assert_eq!(same.attrs["LatestVersionNumber"], "2");

    let host = w.update("Host").await;
    assert_eq!(host.props["InstanceType"], "t3.medium");
    assert_eq!(host.props["UserData"], w.desired("Host")["UserData"]);
    let x = clients.ec2.describe_instances().instance_ids(&host.physical_id).send().await.expect("describes");
    assert_eq!(x.reservations()[0].instances()[0].state().and_then(|s| s.name()), Some(&InstanceStateName::Running));
    w.assert_discovered().await;

    let instance = host.physical_id.clone();
    w.delete_all().await;
    let x = clients.ec2.describe_instances().instance_ids(&instance).send().await.expect("describes");
    let state =
        x.reservations().iter().flat_map(|r| r.instances()).find_map(|i| i.state().and_then(|s| s.name()).cloned());
    assert!(matches!(state, None | Some(InstanceStateName::Terminated)), "{state:?}");
}

/// The seed network pattern, as the engine would see it: every resource discovered again with
/// properties equal to the desired ones (a second plan would be empty).
#[tokio::test]
async fn network_pattern_round_trips() {
    let Some(moto) = common::Moto::start() else { return };
    moto.reset();
    let clients = moto.clients().await;
    let mut b = StackBuilder::new("ec2pattern", "test");
    Network::create(
        &mut b,
        &NetworkProps { cidr: "10.70.0.0/16".parse().expect("cidr"), zones: 2, subnet_prefix: 20, nat_per_zone: true },
    );
    let mut w = World::new(&clients, b.build().expect("valid stack"));
    w.create_all().await;
    assert_eq!(w.observed.len(), w.stack.resources().len());
    w.assert_discovered().await;
    w.delete_all().await;
}
