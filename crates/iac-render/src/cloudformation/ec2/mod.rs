//! EC2 kinds (`AWS::EC2::*`): the network, security groups, launch templates and instances.
//!
//! Shared here: a security group rule (inline or on its own), the machine of a launch template,
//! which an instance adapts, and the instance metadata options.

use iac_core::model::{MachineSpec, Peer, Protocol, Rule};
use serde_json::{Value as Json, json};

use crate::cloudformation::CfnContext;
use crate::error::RenderError;

mod eip;
mod instance;
mod internet_gateway;
mod launch_template;
mod nat_gateway;
mod route;
mod route_table;
mod security_group;
mod security_group_ingress;
mod subnet;
mod subnet_route_table_association;
mod volume;
mod volume_attachment;
mod vpc;
mod vpc_gateway_attachment;

/// A security group rule: inline in a group (ingress or egress) or an ingress of its own.
fn rule(cx: &CfnContext<'_>, r: &Rule, ingress: bool, property: &str) -> Result<Json, RenderError> {
    let mut o = json!({ "IpProtocol": r.protocol.as_aws(), "Description": r.description });
    if r.protocol != Protocol::All {
        o["FromPort"] = json!(r.from_port);
        o["ToPort"] = json!(r.to_port);
    }
    match &r.peer {
        Peer::Cidr(c) => o["CidrIp"] = cx.value(c, property)?,
        Peer::CidrV6(c) => o["CidrIpv6"] = cx.value(c, property)?,
        Peer::Group(g) => {
            let key = if ingress { "SourceSecurityGroupId" } else { "DestinationSecurityGroupId" };
            o[key] = cx.value(g, property)?;
        }
    }
    Ok(o)
}

/// IMDSv2 only, with a hop limit that lets containers on the host reach it.
fn metadata_options() -> Json {
    json!({ "HttpEndpoint": "enabled", "HttpTokens": "required", "HttpPutResponseHopLimit": 2 })
}

/// Launch template data; an instance adapts the few keys that differ.
fn machine(cx: &CfnContext<'_>, m: &MachineSpec) -> Result<Json, RenderError> {
    let prop = "LaunchTemplateData";
    let mut d = json!({
        "ImageId": cx.value(&m.image_id, prop)?,
        "InstanceType": cx.value(&m.instance_type, prop)?,
        "SecurityGroupIds": cx.list(&m.security_group_ids, prop)?,
        "EbsOptimized": true,
        "Monitoring": { "Enabled": m.detailed_monitoring },
        "MetadataOptions": metadata_options(),
    });
    if let Some(p) = &m.instance_profile {
        d["IamInstanceProfile"] = json!({ "Name": cx.value(p, prop)? });
    }
    if let Some(v) = &m.root_volume {
        d["BlockDeviceMappings"] = json!([{
            "DeviceName": v.device_name,
            "Ebs": { "VolumeSize": v.size_gib, "VolumeType": v.volume_type, "Encrypted": v.encrypted, "DeleteOnTermination": true },
        }]);
    }
    if let Some(k) = &m.key_name {
        d["KeyName"] = cx.value(k, prop)?;
    }
    if m.user_data.is_some() {
        d["UserData"] = cx.user_data()?;
    }
    Ok(d)
}
