//! Elastic Load Balancing v2 kinds (`AWS::ElasticLoadBalancingV2::*`): load balancers, target groups and listeners.

mod listener;
mod load_balancer;
mod target_group;
