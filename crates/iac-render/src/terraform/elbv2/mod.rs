//! Elastic Load Balancing v2 kinds (`aws_lb`, `aws_lb_target_group`, `aws_lb_listener`): load balancers, target groups and listeners.

mod listener;
mod load_balancer;
mod target_group;
